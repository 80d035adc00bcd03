package org.research4j.kernels.cpu;

import static org.research4j.kernels.cpu.SgemmMicroKernels.S;
import static org.research4j.kernels.cpu.SgemmMicroKernels.VL;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * The skinny shapes of {@link CpuSgemm}: few rows of output ({@code m <= SKINNY}, as in decoding
 * one token per sequence) or few columns, computed as {@code Y(i, j) = sum_p X(i, p) * M(j, p) +
 * beta * Y(i, j)} with the big matrix M read straight from the caller's array. Packing M would copy
 * all of it to use each element a few times, doubling the memory traffic of a product that is bound
 * by it; here each element of M is loaded from memory once and reused from L1/L2 by every row of X.
 *
 * <p>M comes in two layouts: <em>dot</em>, {@code M(j, p) = mat[off + j * ld + p]} (outputs are dot
 * products of contiguous rows: op(B) transposed), and <em>axpy</em>, {@code M(j, p) = mat[off + p *
 * ld + j]} (each row of M is scaled by {@code X(i, p)} and added into a strip of outputs). X (alpha
 * folded in) is first copied into scratch in the layout the kernels read. The dot form takes one
 * row of X at a time against four rows of M (kept in L1 across the rows of X); the axpy form takes
 * four rows of X at a time against a strip of 4VL columns of M, a 4 x 4VL register tile like the
 * packed micro-kernel's.
 */
final class SgemmSkinny {
  /** Row-count up to which the product runs here rather than packed. */
  static final int SKINNY = 16;

  /** Outputs per task of the axpy form: four vectors of accumulators per strip. */
  private static final int STRIP = 4 * VL;

  private static final ThreadScratch X_COPY = new ThreadScratch();

  private SgemmSkinny() {}

  /**
   * {@code Y = alpha * X M^T + beta * Y} for {@code rows} rows of X ({@code X(i, p) = x[xOff + i *
   * xRow + p * xCol]}), {@code n} rows of M and depth {@code k}; {@code Y(i, j) = y[yOff + i * yRow
   * + j * yCol]}. {@code dotForm} selects the layout of M (class comment).
   */
  static void gemm(
      boolean dotForm,
      int rows,
      int n,
      int k,
      float alpha,
      float[] x,
      int xOff,
      int xRow,
      int xCol,
      float[] mat,
      int mOff,
      int ld,
      float beta,
      float[] y,
      int yOff,
      int yRow,
      int yCol,
      boolean parallel) {
    float[] xs = X_COPY.get(Math.ceilDiv(rows, 4) * 4 * k);
    copyX(dotForm, rows, k, alpha, x, xOff, xRow, xCol, xs);
    Parallel.RangeBody body;
    int tasks;
    if (dotForm) {
      tasks = (n + 3) / 4;
      body =
          (from, to) -> {
            for (int t = from; t < to; t++) {
              int j = 4 * t;
              int w = Math.min(4, n - j);
              for (int i = 0; i < rows; i++) {
                dot(j, w, k, xs, i * k, mat, mOff, ld, beta, y, yOff + i * yRow, yCol);
              }
            }
          };
    } else {
      tasks = (n + STRIP - 1) / STRIP;
      body =
          (from, to) -> {
            for (int t = from; t < to; t++) {
              int j0 = t * STRIP;
              int j1 = Math.min(n, j0 + STRIP);
              for (int g = 0; 4 * g < rows; g++) {
                int r = Math.min(4, rows - 4 * g);
                int yg = yOff + 4 * g * yRow;
                if (r == 1) axpy1(j0, j1, k, xs, g * 4 * k, mat, mOff, ld, beta, y, yg, yCol);
                else axpy4(j0, j1, r, k, xs, g * 4 * k, mat, mOff, ld, beta, y, yg, yRow, yCol);
              }
            }
          };
    }
    if (parallel) Parallel.forRange(tasks, dotForm ? 16 : 2, body);
    else body.run(0, tasks);
  }

  /**
   * Copies alpha * X into {@code xs} as the kernels read it: the dot form, and a lone last row of
   * the axpy form, as plain rows of k; other axpy groups of four rows as k columns of four (the
   * four values one step of p needs, side by side), rows past the end zero.
   */
  private static void copyX(
      boolean dotForm,
      int rows,
      int k,
      float alpha,
      float[] x,
      int xOff,
      int xRow,
      int xCol,
      float[] xs) {
    for (int g = 0; 4 * g < rows; g++) {
      int r = Math.min(4, rows - 4 * g);
      int base = g * 4 * k;
      for (int i = 0; i < 4; i++) {
        int src = xOff + (4 * g + i) * xRow;
        if (dotForm || r == 1) {
          if (i >= r) break;
          for (int p = 0; p < k; p++) xs[base + i * k + p] = alpha * x[src + p * xCol];
        } else {
          for (int p = 0; p < k; p++) xs[base + p * 4 + i] = i < r ? alpha * x[src + p * xCol] : 0f;
        }
      }
    }
  }

  /**
   * Outputs j..j+w-1 (w <= 4) of one row x: dot products with rows of M, x loaded once per step.
   * The four rows of M stay in L1 while every row of X passes over them.
   */
  private static void dot(
      int j,
      int w,
      int k,
      float[] x,
      int x0,
      float[] mat,
      int mOff,
      int ld,
      float beta,
      float[] y,
      int y0,
      int yCol) {
    // A short last block repeats row j for the missing rows of M and drops their results.
    int r0 = mOff + j * ld;
    int r1 = w > 1 ? r0 + ld : r0;
    int r2 = w > 2 ? r0 + 2 * ld : r0;
    int r3 = w > 3 ? r0 + 3 * ld : r0;
    FloatVector s0 = FloatVector.zero(S);
    FloatVector s1 = FloatVector.zero(S);
    FloatVector s2 = FloatVector.zero(S);
    FloatVector s3 = FloatVector.zero(S);
    int kv = S.loopBound(k);
    for (int p = 0; p < kv; p += VL) {
      FloatVector xp = FloatVector.fromArray(S, x, x0 + p);
      s0 = FloatVector.fromArray(S, mat, r0 + p).fma(xp, s0);
      s1 = FloatVector.fromArray(S, mat, r1 + p).fma(xp, s1);
      s2 = FloatVector.fromArray(S, mat, r2 + p).fma(xp, s2);
      s3 = FloatVector.fromArray(S, mat, r3 + p).fma(xp, s3);
    }
    // The ragged end of k as one masked step: a loop that runs zero times or once, not an if,
    // so the accumulators merge at a loop head like in the main loop.
    for (int p = kv; p < k; p += VL) {
      VectorMask<Float> lanes = S.indexInRange(p, k);
      FloatVector xp = FloatVector.fromArray(S, x, x0 + p, lanes);
      s0 = FloatVector.fromArray(S, mat, r0 + p, lanes).fma(xp, s0);
      s1 = FloatVector.fromArray(S, mat, r1 + p, lanes).fma(xp, s1);
      s2 = FloatVector.fromArray(S, mat, r2 + p, lanes).fma(xp, s2);
      s3 = FloatVector.fromArray(S, mat, r3 + p, lanes).fma(xp, s3);
    }
    put4(
        y,
        y0 + j * yCol,
        yCol,
        w,
        beta,
        s0.reduceLanes(VectorOperators.ADD),
        s1.reduceLanes(VectorOperators.ADD),
        s2.reduceLanes(VectorOperators.ADD),
        s3.reduceLanes(VectorOperators.ADD));
  }

  /** Stores the first w of four outputs at {@code y[at + jj * yCol]}. */
  private static void put4(
      float[] y, int at, int yCol, int w, float beta, float d0, float d1, float d2, float d3) {
    put(y, at, d0, beta);
    if (w > 1) put(y, at + yCol, d1, beta);
    if (w > 2) put(y, at + 2 * yCol, d2, beta);
    if (w > 3) put(y, at + 3 * yCol, d3, beta);
  }

  /**
   * Outputs [j0, j1) (at most STRIP) of one row x: a full strip keeps four vector accumulators over
   * the whole k loop; a ragged last strip goes one vector, then one lane, at a time.
   */
  private static void axpy1(
      int j0,
      int j1,
      int k,
      float[] x,
      int x0,
      float[] mat,
      int mOff,
      int ld,
      float beta,
      float[] y,
      int y0,
      int yCol) {
    int j = j0;
    if (j1 - j0 == STRIP) {
      FloatVector s0 = FloatVector.zero(S);
      FloatVector s1 = FloatVector.zero(S);
      FloatVector s2 = FloatVector.zero(S);
      FloatVector s3 = FloatVector.zero(S);
      for (int p = 0; p < k; p++) {
        FloatVector xp = FloatVector.broadcast(S, x[x0 + p]);
        int row = mOff + p * ld + j;
        s0 = FloatVector.fromArray(S, mat, row).fma(xp, s0);
        s1 = FloatVector.fromArray(S, mat, row + VL).fma(xp, s1);
        s2 = FloatVector.fromArray(S, mat, row + 2 * VL).fma(xp, s2);
        s3 = FloatVector.fromArray(S, mat, row + 3 * VL).fma(xp, s3);
      }
      putVector(y, y0 + j * yCol, yCol, s0, beta);
      putVector(y, y0 + (j + VL) * yCol, yCol, s1, beta);
      putVector(y, y0 + (j + 2 * VL) * yCol, yCol, s2, beta);
      putVector(y, y0 + (j + 3 * VL) * yCol, yCol, s3, beta);
      return;
    }
    for (; j + VL <= j1; j += VL) {
      FloatVector s = FloatVector.zero(S);
      for (int p = 0; p < k; p++) {
        s =
            FloatVector.fromArray(S, mat, mOff + p * ld + j)
                .fma(FloatVector.broadcast(S, x[x0 + p]), s);
      }
      putVector(y, y0 + j * yCol, yCol, s, beta);
    }
    for (; j < j1; j++) {
      float d = 0f;
      for (int p = 0; p < k; p++) d += mat[mOff + p * ld + j] * x[x0 + p];
      put(y, y0 + j * yCol, d, beta);
    }
  }

  /**
   * Outputs [j0, j1) of a group of four rows of X (the first r real; X stored as k columns of
   * four): a full strip is a 4 x 4VL register tile over the whole k loop, like the packed
   * micro-kernel but reading M in place; a ragged strip goes one vector, then one lane, at a time.
   */
  private static void axpy4(
      int j0,
      int j1,
      int r,
      int k,
      float[] x,
      int x0,
      float[] mat,
      int mOff,
      int ld,
      float beta,
      float[] y,
      int y0,
      int yRow,
      int yCol) {
    int j = j0;
    if (j1 - j0 == STRIP) {
      FloatVector s00 = FloatVector.zero(S),
          s01 = FloatVector.zero(S),
          s02 = FloatVector.zero(S),
          s03 = FloatVector.zero(S);
      FloatVector s10 = FloatVector.zero(S),
          s11 = FloatVector.zero(S),
          s12 = FloatVector.zero(S),
          s13 = FloatVector.zero(S);
      FloatVector s20 = FloatVector.zero(S),
          s21 = FloatVector.zero(S),
          s22 = FloatVector.zero(S),
          s23 = FloatVector.zero(S);
      FloatVector s30 = FloatVector.zero(S),
          s31 = FloatVector.zero(S),
          s32 = FloatVector.zero(S),
          s33 = FloatVector.zero(S);
      for (int p = 0; p < k; p++) {
        int row = mOff + p * ld + j;
        FloatVector m0 = FloatVector.fromArray(S, mat, row);
        FloatVector m1 = FloatVector.fromArray(S, mat, row + VL);
        FloatVector m2 = FloatVector.fromArray(S, mat, row + 2 * VL);
        FloatVector m3 = FloatVector.fromArray(S, mat, row + 3 * VL);
        int xp = x0 + 4 * p;
        FloatVector xv = FloatVector.broadcast(S, x[xp]);
        s00 = m0.fma(xv, s00);
        s01 = m1.fma(xv, s01);
        s02 = m2.fma(xv, s02);
        s03 = m3.fma(xv, s03);
        xv = FloatVector.broadcast(S, x[xp + 1]);
        s10 = m0.fma(xv, s10);
        s11 = m1.fma(xv, s11);
        s12 = m2.fma(xv, s12);
        s13 = m3.fma(xv, s13);
        xv = FloatVector.broadcast(S, x[xp + 2]);
        s20 = m0.fma(xv, s20);
        s21 = m1.fma(xv, s21);
        s22 = m2.fma(xv, s22);
        s23 = m3.fma(xv, s23);
        xv = FloatVector.broadcast(S, x[xp + 3]);
        s30 = m0.fma(xv, s30);
        s31 = m1.fma(xv, s31);
        s32 = m2.fma(xv, s32);
        s33 = m3.fma(xv, s33);
      }
      // Rows past r hold zeros times M: computed, never stored.
      int yj = y0 + j * yCol;
      int step = VL * yCol;
      putVector(y, yj, yCol, s00, beta);
      putVector(y, yj + step, yCol, s01, beta);
      putVector(y, yj + 2 * step, yCol, s02, beta);
      putVector(y, yj + 3 * step, yCol, s03, beta);
      if (r > 1) {
        putVector(y, yj + yRow, yCol, s10, beta);
        putVector(y, yj + yRow + step, yCol, s11, beta);
        putVector(y, yj + yRow + 2 * step, yCol, s12, beta);
        putVector(y, yj + yRow + 3 * step, yCol, s13, beta);
      }
      if (r > 2) {
        putVector(y, yj + 2 * yRow, yCol, s20, beta);
        putVector(y, yj + 2 * yRow + step, yCol, s21, beta);
        putVector(y, yj + 2 * yRow + 2 * step, yCol, s22, beta);
        putVector(y, yj + 2 * yRow + 3 * step, yCol, s23, beta);
      }
      if (r > 3) {
        putVector(y, yj + 3 * yRow, yCol, s30, beta);
        putVector(y, yj + 3 * yRow + step, yCol, s31, beta);
        putVector(y, yj + 3 * yRow + 2 * step, yCol, s32, beta);
        putVector(y, yj + 3 * yRow + 3 * step, yCol, s33, beta);
      }
      return;
    }
    for (; j + VL <= j1; j += VL) {
      for (int i = 0; i < r; i++) {
        FloatVector s = FloatVector.zero(S);
        for (int p = 0; p < k; p++) {
          s =
              FloatVector.fromArray(S, mat, mOff + p * ld + j)
                  .fma(FloatVector.broadcast(S, x[x0 + 4 * p + i]), s);
        }
        putVector(y, y0 + i * yRow + j * yCol, yCol, s, beta);
      }
    }
    for (; j < j1; j++) {
      for (int i = 0; i < r; i++) {
        float d = 0f;
        for (int p = 0; p < k; p++) d += mat[mOff + p * ld + j] * x[x0 + 4 * p + i];
        put(y, y0 + i * yRow + j * yCol, d, beta);
      }
    }
  }

  /**
   * Stores VL outputs at {@code y[at + l * yCol]}. It takes a vector, so it is only called after
   * the k loop: C2 inlines it without boxing on full strips (0 bytes allocated per call, measured),
   * while a ragged last strip or a strided Y (n <= 16, transposed A) may box the vector, a few
   * kilobytes per call at most.
   */
  private static void putVector(float[] y, int at, int yCol, FloatVector v, float beta) {
    if (yCol == 1) {
      if (beta == 0f) {
        v.intoArray(y, at);
      } else {
        FloatVector.fromArray(S, y, at).fma(FloatVector.broadcast(S, beta), v).intoArray(y, at);
      }
    } else {
      for (int l = 0; l < VL; l++) put(y, at + l * yCol, v.lane(l), beta);
    }
  }

  private static void put(float[] y, int i, float v, float beta) {
    y[i] = beta == 0f ? v : v + beta * y[i];
  }
}
