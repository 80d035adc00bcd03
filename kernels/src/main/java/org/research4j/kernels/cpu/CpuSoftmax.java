package org.research4j.kernels.cpu;

import static org.research4j.kernels.cpu.Vec.L;
import static org.research4j.kernels.cpu.Vec.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Row-wise softmax, log-softmax and cross-entropy from logits. Rows run in parallel; each row is
 * two vectorised passes (max, then sum of exp) because a vocabulary row (151936 floats for Qwen2)
 * is too long to keep in registers and the max pass is far cheaper than the exp pass.
 */
final class CpuSoftmax {
  private CpuSoftmax() {}

  /** Rows per task so that a task has at least ~16k elements of work. */
  static int rowGrain(int cols) {
    return Math.max(1, (1 << 14) / Math.max(1, cols));
  }

  /** {@code log(sum(exp(row)))} with the max subtracted first, so large logits cannot overflow. */
  static float logSumExp(float[] x, int off, int n) {
    float max = Vec.max(x, off, n);
    if (max == Float.NEGATIVE_INFINITY) return max;
    return max + (float) Math.log(Vec.sumExp(x, off, n, max));
  }

  static void softmaxForward(float[] x, float[] y, int rows, int cols) {
    Parallel.forRange(
        rows,
        rowGrain(cols),
        (from, to) -> {
          for (int r = from; r < to; r++) {
            int off = r * cols;
            float max = Vec.max(x, off, cols);
            FloatVector acc = FloatVector.zero(S);
            int c = 0;
            for (int ub = S.loopBound(cols); c < ub; c += L) {
              FloatVector e =
                  FloatVector.fromArray(S, x, off + c).sub(max).lanewise(VectorOperators.EXP);
              e.intoArray(y, off + c);
              acc = acc.add(e);
            }
            float sum = acc.reduceLanes(VectorOperators.ADD);
            for (; c < cols; c++) {
              float e = (float) Math.exp(x[off + c] - max);
              y[off + c] = e;
              sum += e;
            }
            Vec.scaleRow(y, off, cols, 1f / sum);
          }
        });
  }

  static void softmaxBackward(float[] y, float[] dy, float[] dx, int rows, int cols) {
    Parallel.forRange(
        rows,
        rowGrain(cols),
        (from, to) -> {
          for (int r = from; r < to; r++) {
            int off = r * cols;
            float dot = Vec.dot(y, off, dy, off, cols);
            int c = 0;
            for (int ub = S.loopBound(cols); c < ub; c += L) {
              FloatVector yv = FloatVector.fromArray(S, y, off + c);
              FloatVector g = FloatVector.fromArray(S, dy, off + c).sub(dot);
              yv.fma(g, FloatVector.fromArray(S, dx, off + c)).intoArray(dx, off + c);
            }
            for (; c < cols; c++) dx[off + c] += y[off + c] * (dy[off + c] - dot);
          }
        });
  }

  static void logSoftmaxForward(float[] x, float[] y, int rows, int cols) {
    Parallel.forRange(
        rows,
        rowGrain(cols),
        (from, to) -> {
          for (int r = from; r < to; r++) {
            int off = r * cols;
            float lse = logSumExp(x, off, cols);
            int c = 0;
            for (int ub = S.loopBound(cols); c < ub; c += L) {
              FloatVector.fromArray(S, x, off + c).sub(lse).intoArray(y, off + c);
            }
            for (; c < cols; c++) y[off + c] = x[off + c] - lse;
          }
        });
  }

  static void logSoftmaxBackward(float[] y, float[] dy, float[] dx, int rows, int cols) {
    Parallel.forRange(
        rows,
        rowGrain(cols),
        (from, to) -> {
          for (int r = from; r < to; r++) {
            int off = r * cols;
            float sum = Vec.sum(dy, off, cols);
            int c = 0;
            for (int ub = S.loopBound(cols); c < ub; c += L) {
              FloatVector p = FloatVector.fromArray(S, y, off + c).lanewise(VectorOperators.EXP);
              FloatVector d =
                  FloatVector.fromArray(S, dx, off + c).add(FloatVector.fromArray(S, dy, off + c));
              p.neg().fma(FloatVector.broadcast(S, sum), d).intoArray(dx, off + c);
            }
            for (; c < cols; c++) dx[off + c] += dy[off + c] - (float) Math.exp(y[off + c]) * sum;
          }
        });
  }

  /** Writes {@code lse} for every row, ignored ones too, so that every device agrees on it. */
  static void crossEntropyForward(
      float[] logits, int[] targets, float[] loss, float[] lse, int rows, int v, int ignoreIndex) {
    Parallel.forRange(
        rows,
        rowGrain(v),
        (from, to) -> {
          for (int r = from; r < to; r++) {
            int off = r * v;
            float l = logSumExp(logits, off, v);
            lse[r] = l;
            int t = targets[r];
            loss[r] = t == ignoreIndex ? 0f : l - logits[off + t];
          }
        });
  }

  static void crossEntropyBackward(
      float[] logits,
      int[] targets,
      float[] lse,
      float[] dloss,
      float[] dlogits,
      int rows,
      int v,
      int ignoreIndex) {
    Parallel.forRange(
        rows,
        rowGrain(v),
        (from, to) -> {
          for (int r = from; r < to; r++) {
            int t = targets[r];
            if (t == ignoreIndex) continue;
            int off = r * v;
            float g = dloss[r];
            float shift = lse[r];
            int c = 0;
            for (int ub = S.loopBound(v); c < ub; c += L) {
              FloatVector p =
                  FloatVector.fromArray(S, logits, off + c)
                      .sub(shift)
                      .lanewise(VectorOperators.EXP);
              p.fma(FloatVector.broadcast(S, g), FloatVector.fromArray(S, dlogits, off + c))
                  .intoArray(dlogits, off + c);
            }
            for (; c < v; c++) dlogits[off + c] += g * (float) Math.exp(logits[off + c] - shift);
            dlogits[off + t] -= g;
          }
        });
  }
}
