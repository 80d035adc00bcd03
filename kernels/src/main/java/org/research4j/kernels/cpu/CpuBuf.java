package org.research4j.kernels.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import org.research4j.kernels.Buf;

/**
 * A CPU buffer: a Java array, float[], int[] or short[] (bfloat16 bits), or for an int8 matrix a
 * byte[] and a float[] of row scales. Closing is a no-op; the GC owns the memory.
 *
 * <p>A bfloat16 weight matrix made by {@link #bf16Panels} is stored <b>output-interleaved</b>: rows
 * (a weight matrix's outputs) in groups of {@link #BF16_GROUP} (four float vectors' worth), and
 * each group column by column, the group's weights of column 0, then of column 1, and so on ({@code
 * [rows/G][cols][G]}, zero-padded to whole groups). A product over few rows of activations then
 * widens G weights of one column with four vector loads, multiplies them by an activation
 * broadcast, and needs no horizontal sums; each group is one contiguous stream. The layout belongs
 * to the buffer: {@link #length()}, uploads and downloads address its elements as row-major {@code
 * [rows, cols]}, {@link #shorts()} refuses it, and the bf16 kernels read it through {@link
 * #groupIndex}.
 *
 * <p>An int8 matrix ({@link #int8Panels}) is always stored in row panels the same way, with blocks
 * of {@link #I8_PANEL_COLS} columns (again 64 bytes of one row), and one float scale per row
 * (padding rows 0): {@link #int8Index} says where an element sits.
 *
 * <p><b>Version and derived data.</b> A float buffer counts the hands that may write it: every call
 * of {@link #floats()} (the only way to its array that allows writing, used by every kernel that
 * writes, by uploads, copies, fills and the optimiser) bumps {@link #version()} before handing the
 * array out. Data derived from the contents, such as the packed weight matrix of {@link CpuSgemm},
 * is kept in {@link #derived()} together with the version it was made at, and is used only while
 * the version is unchanged: a write that could make it stale always moves the version first, so a
 * stale copy cannot be used. Kernels that only read call {@link #floatsForReading()}, which leaves
 * the version alone. A buffer made by {@link #wrap(float[])} shares an array the caller may write
 * at any time, so it keeps no derived data.
 */
public final class CpuBuf implements Buf {
  /** Rows per panel group of an {@link #int8Panels} matrix. */
  public static final int PANEL_ROWS = 4;

  /** Columns per block of an int8 panel group (64 bytes of one row: one cache line). */
  public static final int I8_PANEL_COLS = 64;

  private final float[] f;
  private final int[] i;
  private final short[] h;

  /** int8 values in row panels, and one scale per (padded) row: int8 matrices only. */
  private final byte[] q;

  private final float[] qScales;

  /** Rows and columns of a bf16 or int8 matrix; -1 for every other buffer. */
  private final int rows;

  private final int cols;

  /**
   * Stored columns per row: an int8 matrix's rounded up to whole {@link #I8_PANEL_COLS} blocks, a
   * bf16 matrix's as they are; -1 for every other buffer.
   */
  private final int paddedCols;

  /**
   * For the keys of a bfloat16 KV cache ({@link #bf16Keys}): the cache's geometry, stored
   * transposed; null for every other buffer.
   */
  private final KeyLayout keyLayout;

  /**
   * Keys {@code [b, tmax, hkv, d]} stored as {@code [b, hkv, d, tpad]}: for each sequence and kv
   * head, each of the {@code d} channels is a row over the positions, padded to {@code tpad} (a
   * multiple of {@link AttentionTiles#BK}), so a tile of scores is a product vectorised over
   * positions that reads whole rows.
   */
  record KeyLayout(int tmax, int hkv, int d, int tpad) {
    /** Where logical element {@code e} (row-major {@code [b, tmax, hkv, d]}) is stored. */
    int index(int e) {
      int c = e % d;
      int rest = e / d;
      int g = rest % hkv;
      rest /= hkv;
      int t = rest % tmax;
      int s = rest / tmax;
      return ((s * hkv + g) * d + c) * tpad + t;
    }
  }

  /** Bumped by every {@link #floats()}: each hand-out of the array that may write it. */
  private final AtomicInteger version = new AtomicInteger();

  /** Whether derived data may be kept (not for a wrapped, caller-owned array). */
  private final boolean owned;

  /** Data derived from the contents (it records the version it was made at), or null. */
  private volatile Object derived;

  private CpuBuf(float[] f, int[] i) {
    this(f, i, null, -1, -1, true);
  }

  private CpuBuf(float[] f, int[] i, short[] h, int rows, int cols) {
    this(f, i, h, rows, cols, true);
  }

  private CpuBuf(float[] f, int[] i, short[] h, int rows, int cols, boolean owned) {
    this(f, i, h, rows, cols, owned, null);
  }

  private CpuBuf(
      float[] f, int[] i, short[] h, int rows, int cols, boolean owned, KeyLayout keyLayout) {
    this.keyLayout = keyLayout;
    this.owned = owned;
    this.f = f;
    this.i = i;
    this.h = h;
    this.q = null;
    this.qScales = null;
    this.rows = rows;
    this.cols = cols;
    this.paddedCols = cols;
  }

  private CpuBuf(byte[] q, float[] scales, int rows, int cols) {
    this.keyLayout = null;
    this.owned = true;
    this.f = null;
    this.i = null;
    this.h = null;
    this.q = q;
    this.qScales = scales;
    this.rows = rows;
    this.cols = cols;
    this.paddedCols = Math.ceilDiv(cols, I8_PANEL_COLS) * I8_PANEL_COLS;
  }

  /**
   * A zero-filled int8 {@code [rows, cols]} matrix with zero scales, stored in row panels of {@link
   * #I8_PANEL_COLS} columns (see the class comment); {@code rows, cols >= 0}.
   */
  public static CpuBuf int8Panels(int rows, int cols) {
    if (rows < 0 || cols < 0) {
      throw new IllegalArgumentException(
          "an int8 matrix needs rows, cols >= 0: " + rows + ", " + cols);
    }
    Math.multiplyExact(rows, cols);
    long paddedRows = (long) Math.ceilDiv(rows, PANEL_ROWS) * PANEL_ROWS;
    long stored = paddedRows * (Math.ceilDiv((long) cols, I8_PANEL_COLS) * I8_PANEL_COLS);
    if (stored > Integer.MAX_VALUE - 64) {
      throw new IllegalArgumentException(
          "a [" + rows + ", " + cols + "] int8 matrix in panels needs " + stored + " bytes");
    }
    return new CpuBuf(new byte[(int) stored], new float[(int) paddedRows], rows, cols);
  }

  /** The int8 values of an int8 matrix, in panel order (see {@link #int8Index}). */
  byte[] int8Storage() {
    if (q == null) throw new IllegalArgumentException("expected an I8 buffer, got " + type());
    return q;
  }

  /** The row scales of an int8 matrix (padded to whole panel groups with zeros). */
  float[] int8Scales() {
    if (q == null) throw new IllegalArgumentException("expected an I8 buffer, got " + type());
    return qScales;
  }

  /** Where element {@code (row, col)} sits in int8 panel storage whose rows are padded to kp. */
  static int int8Index(int kp, int row, int col) {
    return (row / PANEL_ROWS) * PANEL_ROWS * kp
        + (col / I8_PANEL_COLS) * (PANEL_ROWS * I8_PANEL_COLS)
        + (row % PANEL_ROWS) * I8_PANEL_COLS
        + col % I8_PANEL_COLS;
  }

  /**
   * Copies whole rows {@code [row0, row0 + n)} of this int8 matrix and their scales to or from the
   * host (row-major {@code host[hostOff..]}, {@code scales[scalesOff..]}): {@code toHost}
   * downloads, else uploads. Ranges already checked.
   */
  void int8Copy(
      boolean toHost, byte[] host, int hostOff, float[] scales, int scalesOff, int row0, int n) {
    for (int r = 0; r < n; r++) {
      int row = row0 + r;
      for (int c = 0; c < cols; c += I8_PANEL_COLS) {
        int seg = Math.min(I8_PANEL_COLS, cols - c);
        int at = int8Index(paddedCols, row, c);
        int ho = hostOff + r * cols + c;
        if (toHost) System.arraycopy(q, at, host, ho, seg);
        else System.arraycopy(host, ho, q, at, seg);
      }
      if (toHost) scales[scalesOff + r] = qScales[row];
      else qScales[row] = scales[scalesOff + r];
    }
  }

  /** A zero-filled bfloat16 buffer of {@code n} elements, row-major (plain) layout. */
  public static CpuBuf bf16(int n) {
    return new CpuBuf(null, null, new short[n], -1, -1);
  }

  /**
   * A zero-filled bfloat16 {@code [rows, cols]} matrix stored in groups of rows (see the class
   * comment); {@code rows, cols >= 1}.
   */
  public static CpuBuf bf16Panels(int rows, int cols) {
    if (rows < 1 || cols < 1) {
      throw new IllegalArgumentException(
          "a panelled matrix needs rows, cols >= 1: " + rows + ", " + cols);
    }
    Math.multiplyExact(rows, cols);
    long stored = (long) Math.ceilDiv(rows, BF16_GROUP) * BF16_GROUP * cols;
    if (stored > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException(
          "a [" + rows + ", " + cols + "] bf16 matrix in groups needs " + stored + " elements");
    }
    return new CpuBuf(null, null, new short[(int) stored], rows, cols);
  }

  /**
   * Rows (outputs) per group of a {@link #bf16Panels} matrix: four float vectors' worth, 64 with
   * AVX-512.
   */
  public static final int BF16_GROUP = 4 * SgemmMicroKernels.VL;

  /**
   * Where element {@code (row, col)} of a bf16 matrix of {@code cols} columns sits in its grouped
   * storage: {@code [rows / G][cols][G]}, G = {@link #BF16_GROUP}.
   */
  static int groupIndex(int cols, int row, int col) {
    return (row / BF16_GROUP) * BF16_GROUP * cols + col * BF16_GROUP + row % BF16_GROUP;
  }

  /**
   * A zero-filled bfloat16 buffer for the keys of a KV cache {@code [b, tmax, hkv, d]}, stored
   * transposed (see {@link KeyLayout}); uploads, downloads, copies and {@link #length()} address
   * its elements as row-major {@code [b, tmax, hkv, d]}.
   */
  public static CpuBuf bf16Keys(int b, int tmax, int hkv, int d) {
    if (b < 1 || tmax < 1 || hkv < 1 || d < 1) {
      throw new IllegalArgumentException(
          "a key cache needs b, tmax, hkv, d >= 1: " + b + ", " + tmax + ", " + hkv + ", " + d);
    }
    int tpad = Math.ceilDiv(tmax, AttentionTiles.BK) * AttentionTiles.BK;
    long stored = (long) b * hkv * d * tpad;
    Math.multiplyExact(Math.multiplyExact(b, tmax), Math.multiplyExact(hkv, d));
    if (stored > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException(
          "a key cache of [" + b + ", " + tmax + ", " + hkv + ", " + d + "] needs " + stored);
    }
    return new CpuBuf(
        null, null, new short[(int) stored], -1, -1, true, new KeyLayout(tmax, hkv, d, tpad));
  }

  /** The geometry of a {@link #bf16Keys} buffer, or null for any other. */
  KeyLayout keyLayout() {
    return keyLayout;
  }

  /** The transposed storage of a {@link #bf16Keys} buffer. */
  short[] keyStorage() {
    if (keyLayout == null) throw new IllegalArgumentException("not a key cache buffer");
    return h;
  }

  /**
   * Copies logical elements {@code [off, off + n)} of this key buffer to or from {@code
   * host[hostOff..]} (see {@link #panelCopy}).
   */
  void keyCopy(boolean toHost, short[] host, int hostOff, int off, int n) {
    for (int x = 0; x < n; x++) {
      int at = keyLayout.index(off + x);
      if (toHost) host[hostOff + x] = h[at];
      else h[at] = host[hostOff + x];
    }
  }

  /** Whether this is a bfloat16 matrix stored in groups of rows ({@link #bf16Panels}). */
  public boolean panelled() {
    return rows >= 0 && q == null;
  }

  /** Whether this is an int8 matrix ({@link #int8Panels}). */
  boolean int8() {
    return q != null;
  }

  /** Rows of a panelled (bf16 or int8) matrix. */
  int panelRows() {
    return rows;
  }

  /** Columns of a panelled (bf16 or int8) matrix. */
  int panelCols() {
    return cols;
  }

  /**
   * Stored columns per row of a bf16 or int8 matrix: an int8 panel group of {@link #PANEL_ROWS}
   * rows takes {@code PANEL_ROWS * paddedCols()} bytes.
   */
  int paddedCols() {
    return paddedCols;
  }

  /** The storage of a bf16 matrix, grouped (see {@link #groupIndex}). */
  short[] panelStorage() {
    if (!panelled()) throw new IllegalArgumentException("not a panelled bf16 matrix");
    return h;
  }

  /**
   * Copies logical (row-major) elements {@code [off, off + n)} of this panelled matrix to or from
   * {@code host[hostOff..]}: {@code toHost} downloads, else uploads. Ranges already checked.
   */
  void panelCopy(boolean toHost, short[] host, int hostOff, int off, int n) {
    int done = 0;
    while (done < n) {
      int e = off + done;
      int row = e / cols;
      int col = e % cols;
      int seg = Math.min(n - done, cols - col);
      // One row's columns sit BF16_GROUP apart.
      int at = groupIndex(cols, row, col);
      int x = hostOff + done;
      if (toHost) {
        for (int c = 0; c < seg; c++, at += BF16_GROUP) host[x + c] = h[at];
      } else {
        for (int c = 0; c < seg; c++, at += BF16_GROUP) h[at] = host[x + c];
      }
      done += seg;
    }
  }

  public static CpuBuf f32(int n) {
    return new CpuBuf(new float[n], null);
  }

  public static CpuBuf i32(int n) {
    return new CpuBuf(null, new int[n]);
  }

  /**
   * Wraps an existing array without copying. The caller may go on writing the array, so the buffer
   * keeps no derived data (see the class comment).
   */
  public static CpuBuf wrap(float[] data) {
    return new CpuBuf(data, null, null, -1, -1, false);
  }

  /** Wraps an existing array without copying. */
  public static CpuBuf wrap(int[] data) {
    return new CpuBuf(null, data);
  }

  @Override
  public Type type() {
    return f != null ? Type.F32 : i != null ? Type.I32 : q != null ? Type.I8 : Type.BF16;
  }

  @Override
  public int length() {
    if (keyLayout != null) {
      return h.length / keyLayout.tpad() * keyLayout.tmax();
    }
    return f != null
        ? f.length
        : i != null ? i.length : q != null || panelled() ? rows * cols : h.length;
  }

  /**
   * The backing float array, to read or write; fails on an int buffer. Bumps {@link #version()}, so
   * whatever was derived from the contents before is no longer used.
   */
  public float[] floats() {
    if (f == null) throw new IllegalArgumentException("expected a F32 buffer, got " + type());
    version.incrementAndGet();
    // Whatever was derived is stale from now on: let its memory go (a kept pack of a weight
    // matrix is as large as the matrix).
    if (derived != null) derived = null;
    return f;
  }

  /** Drops the data derived from the contents, giving its memory back (see {@link #derived()}). */
  void forgetDerived() {
    derived = null;
  }

  /**
   * The backing float array for a kernel that only reads it (and does not keep it past the call);
   * the version is left alone. Writing through it would defeat {@link #derived()}: don't.
   */
  float[] floatsForReading() {
    if (f == null) throw new IllegalArgumentException("expected a F32 buffer, got " + type());
    return f;
  }

  /** The write count of a float buffer (see the class comment). */
  int version() {
    return version.get();
  }

  /** Data derived from the contents, or null; its user checks the version it records. */
  Object derived() {
    return owned ? derived : null;
  }

  /** Keeps data derived from the contents (nothing, for a wrapped array). */
  void derived(Object d) {
    if (owned) derived = d;
  }

  /** The backing int array; fails on a float buffer. */
  public int[] ints() {
    if (i == null) throw new IllegalArgumentException("expected an I32 buffer, got " + type());
    return i;
  }

  /**
   * The backing bfloat16 bits, row-major; fails on a float or int buffer and on a matrix stored in
   * groups of rows (whose array is not row-major: read it with {@code downloadBf16}).
   */
  public short[] shorts() {
    if (h == null) throw new IllegalArgumentException("expected a BF16 buffer, got " + type());
    if (keyLayout != null) {
      throw new IllegalArgumentException(
          "this BF16 buffer holds the keys of a KV cache stored transposed, not row-major");
    }
    if (panelled()) {
      throw new IllegalArgumentException(
          "this BF16 buffer is a ["
              + rows
              + ", "
              + cols
              + "] matrix stored in groups of rows, not"
              + " row-major");
    }
    return h;
  }

  /** The float array of a buffer that must be a CPU buffer. */
  public static float[] f(Buf b) {
    return cast(b).floats();
  }

  /** The float array of a CPU buffer that the caller only reads (see {@link #floatsForReading}). */
  static float[] read(Buf b) {
    return cast(b).floatsForReading();
  }

  /** The int array of a buffer that must be a CPU buffer. */
  public static int[] i(Buf b) {
    return cast(b).ints();
  }

  static CpuBuf cast(Buf b) {
    if (b instanceof CpuBuf c) return c;
    throw new IllegalArgumentException(
        "CPU kernels got a buffer of another device: " + (b == null ? "null" : b.getClass()));
  }

  @Override
  public void close() {}
}
