package org.research4j.tensor;

import org.research4j.kernels.Bf16;
import org.research4j.kernels.Buf;
import org.research4j.kernels.Int8;
import org.research4j.kernels.Kernels;

/**
 * A row-major array of float32 or int32 elements with a shape, living on one device (a {@link
 * Kernels}). Tensors never copy to the host behind your back: {@link #toFloatArray()} and friends
 * are the explicit copies.
 *
 * <p>Three kinds exist. Activations come from a {@link Tape} (its ops and its {@code tensor},
 * {@code ints}, {@code zeros} factories) and live until the tape's {@link Tape#reset()}; constants
 * made here with {@link #of} own their memory until {@link #close()}; {@link Parameter}s are named
 * constants that receive gradients. A {@link #view} shares memory (and gradient) with its base.
 */
public sealed class Tensor implements AutoCloseable permits Parameter {
  final Storage storage;
  private final int[] shape;
  private final int numel;

  Tensor(Storage storage, int[] shape) {
    this.storage = storage;
    this.shape = shape.clone();
    this.numel = Shapes.numel(shape);
  }

  /** A standalone float tensor holding a copy of {@code data}. */
  public static Tensor of(Kernels kernels, float[] data, int... shape) {
    checkLength("Tensor.of", data.length, shape);
    Tensor t = zeros(kernels, shape);
    kernels.upload(data, 0, t.buf(), 0, data.length);
    return t;
  }

  /** A standalone int tensor (token ids, positions, targets) holding a copy of {@code data}. */
  public static Tensor ofInts(Kernels kernels, int[] data, int... shape) {
    checkLength("Tensor.ofInts", data.length, shape);
    Tensor t = zerosInt(kernels, shape);
    kernels.upload(data, 0, t.buf(), 0, data.length);
    return t;
  }

  /** A standalone zero-filled float tensor. */
  public static Tensor zeros(Kernels kernels, int... shape) {
    int n = Shapes.numel(shape);
    return new Tensor(
        new Storage(kernels, Buf.Type.F32, kernels.allocF32(Math.max(n, 1)), null), shape);
  }

  /**
   * A standalone zero-filled bfloat16 tensor in plain row-major layout (a KV cache; weight matrices
   * are {@link Parameter}s), for kernels whose {@link Kernels#bf16Caches} holds.
   */
  public static Tensor zerosBf16(Kernels kernels, int... shape) {
    int n = Shapes.numel(shape);
    return new Tensor(
        new Storage(kernels, Buf.Type.BF16, kernels.allocBf16(Math.max(n, 1)), null), shape);
  }

  /**
   * A standalone tensor over a buffer the caller allocated on {@code kernels} (e.g. {@code
   * Kernels#allocBf16Keys}, whose layout is the device's own); it holds at least {@link #numel()}
   * elements and is closed with the tensor.
   */
  public static Tensor ofBuf(Kernels kernels, Buf buf, int... shape) {
    int n = Shapes.numel(shape);
    if (buf.length() < n) {
      throw new IllegalArgumentException(
          "Tensor.ofBuf: a buffer of " + buf.length() + " elements for shape " + Shapes.str(shape));
    }
    return new Tensor(new Storage(kernels, buf.type(), buf, null), shape);
  }

  /** A standalone zero-filled int tensor. */
  public static Tensor zerosInt(Kernels kernels, int... shape) {
    int n = Shapes.numel(shape);
    return new Tensor(
        new Storage(kernels, Buf.Type.I32, kernels.allocI32(Math.max(n, 1)), null), shape);
  }

  static void checkLength(String where, int length, int[] shape) {
    int n = Shapes.numel(shape);
    if (length != n) {
      throw new IllegalArgumentException(
          where
              + ": "
              + length
              + " values given for shape "
              + Shapes.str(shape)
              + ", which holds "
              + n);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Shape and identity.

  public int[] shape() {
    return shape.clone();
  }

  public int rank() {
    return shape.length;
  }

  /** Size of dimension {@code axis}; negative axes count from the end ({@code -1} is the last). */
  public int dim(int axis) {
    int a = axis < 0 ? shape.length + axis : axis;
    if (a < 0 || a >= shape.length) {
      throw new IllegalArgumentException(
          "axis " + axis + " out of range for shape " + Shapes.str(shape));
    }
    return shape[a];
  }

  public int numel() {
    return numel;
  }

  public Buf.Type dtype() {
    return storage.type;
  }

  public Kernels device() {
    return storage.kernels;
  }

  /** The name given with {@link #named} or at creation (parameters), or null. */
  public String name() {
    return storage.name;
  }

  /** Sets the name used in error messages; returns this tensor. */
  public Tensor named(String name) {
    storage.name = name;
    return this;
  }

  /** Whether gradients flow to this tensor: a parameter, or an op output that depends on one. */
  public boolean requiresGrad() {
    return storage.requiresGrad;
  }

  /** Whether {@link Tape#reset()} or {@link #close()} has released this tensor's memory. */
  public boolean released() {
    return storage.released();
  }

  /**
   * The same memory under another shape with the same element count; one dimension may be {@code
   * -1} (inferred). Gradients are shared too, so a view can be fed to ops like its base.
   */
  public Tensor view(int... newShape) {
    int[] s = newShape.clone();
    int infer = -1;
    long known = 1;
    for (int i = 0; i < s.length; i++) {
      if (s[i] == -1 && infer < 0) {
        infer = i;
      } else {
        if (s[i] < 0) throw new IllegalArgumentException("view: bad shape " + Shapes.str(s));
        known *= s[i];
      }
    }
    if (infer >= 0 && known > 0 && numel % known == 0) s[infer] = (int) (numel / known);
    if (infer >= 0 && s[infer] == -1 || Shapes.numel(s) != numel) {
      throw new IllegalArgumentException(
          "view: cannot view " + this + " (" + numel + " elements) as " + Shapes.str(newShape));
    }
    return new Tensor(storage, s);
  }

  /**
   * The first {@code n} entries along dimension 0, sharing memory with this tensor (a row-major
   * prefix, so no copy): e.g. the first {@code n} sequences of a batched cache. Closing it releases
   * the base, as any view.
   */
  public Tensor leading(int n) {
    if (shape.length == 0 || n < 0 || n > shape[0]) {
      throw new IllegalArgumentException(
          "leading: cannot take " + n + " leading entries of " + this);
    }
    int[] s = shape.clone();
    s[0] = n;
    return new Tensor(storage, s);
  }

  // ---------------------------------------------------------------------------------------------
  // Device memory.

  /** The device buffer (possibly longer than {@link #numel()}); for kernels and custom ops. */
  public Buf buf() {
    return storage.data(this);
  }

  /** The gradient buffer, or null when none has been allocated (yet). */
  public Buf gradBuf() {
    buf();
    return storage.grad;
  }

  /**
   * Copies {@code data} (exactly {@link #numel()} floats) into this tensor; a BF16 tensor gets each
   * value rounded to the nearest bfloat16, an I8 matrix each row quantized to int8 with its own
   * scale ({@link Int8#quantize}: each weight moves by at most half the row's step).
   */
  public void copyFrom(float[] data) {
    checkLength("copyFrom " + this, data.length, shape);
    if (storage.type == Buf.Type.BF16) {
      storage.kernels.uploadBf16(Bf16.round(data), 0, buf(), 0, numel);
    } else if (storage.type == Buf.Type.I8) {
      int rows = shape[0];
      int cols = shape[1];
      byte[] q = new byte[numel];
      float[] scales = new float[rows];
      Int8.quantize(data, rows, cols, q, scales);
      storage.kernels.uploadInt8(q, 0, scales, 0, buf(), 0, rows);
    } else {
      storage.kernels.upload(data, 0, buf(), 0, numel);
    }
  }

  /** Copies bfloat16 bit patterns (exactly {@link #numel()}) into this BF16 tensor. */
  public void copyFromBf16(short[] data) {
    checkLength("copyFromBf16 " + this, data.length, shape);
    storage.kernels.uploadBf16(data, 0, buf(), 0, numel);
  }

  /** Copies {@code data} (exactly {@link #numel()} ints) into this int tensor. */
  public void copyFrom(int[] data) {
    checkLength("copyFrom " + this, data.length, shape);
    storage.kernels.upload(data, 0, buf(), 0, numel);
  }

  /**
   * Host copy of the values (waits for the device); a BF16 tensor's widened to float32, an I8
   * matrix's dequantized ({@code q * scale}).
   */
  public float[] toFloatArray() {
    float[] out = new float[numel];
    if (storage.type == Buf.Type.I8) {
      int rows = shape[0];
      byte[] q = new byte[numel];
      float[] scales = new float[rows];
      storage.kernels.downloadInt8(buf(), 0, rows, q, 0, scales, 0);
      Int8.dequantize(q, scales, rows, shape[1], out);
    } else if (storage.type == Buf.Type.BF16) {
      short[] bits = new short[numel];
      storage.kernels.downloadBf16(buf(), 0, bits, 0, numel);
      Bf16.toFloat(bits, 0, out, 0, numel);
    } else {
      storage.kernels.download(buf(), 0, out, 0, numel);
    }
    return out;
  }

  /** Host copy of the values of an int tensor (waits for the device). */
  public int[] toIntArray() {
    int[] out = new int[numel];
    storage.kernels.download(buf(), 0, out, 0, numel);
    return out;
  }

  /** Host copy of the gradient; zeros when no gradient has reached this tensor. */
  public float[] gradToFloatArray() {
    float[] out = new float[numel];
    Buf g = gradBuf();
    if (g != null) storage.kernels.download(g, 0, out, 0, numel);
    return out;
  }

  /** The single value of a one-element float tensor (a loss). */
  public float item() {
    if (numel != 1) {
      throw new IllegalArgumentException("item: " + this + " has " + numel + " elements, not 1");
    }
    return toFloatArray()[0];
  }

  /**
   * Releases the memory: a standalone tensor frees its device buffers, a tape activation goes back
   * to the tape's pool early (allowed only if no recorded op still needs it). Idempotent; a view
   * releases its base.
   */
  @Override
  public void close() {
    if (storage.released()) return;
    if (storage.tape != null) {
      storage.tape.releaseEarly(this);
    } else {
      storage.release(null);
    }
  }

  @Override
  public String toString() {
    String n = storage.name == null ? "" : "'" + storage.name + "' ";
    return n + storage.type + Shapes.str(shape);
  }
}
