package org.research4j.kernels.cpu;

import static org.research4j.kernels.cpu.Vec.L;
import static org.research4j.kernels.cpu.Vec.S;

import java.util.concurrent.ConcurrentHashMap;
import jdk.incubator.vector.FloatVector;

/**
 * Rotary position embedding, "rotate half" layout (Hugging Face Qwen2/Llama). The cos/sin tables
 * are computed the way Hugging Face computes them in float32, so that the model matches a PyTorch
 * reference to the last bits: {@code inv_freq[j] = 1 / theta^(float(2j) / d)}, {@code angle =
 * float(pos) * inv_freq[j]} rounded to float, then cos and sin of that float angle.
 */
final class CpuRope {
  private CpuRope() {}

  /** Cos/sin of every (position, frequency) pair for positions below {@code positions}. */
  private record Table(int half, int positions, float[] cos, float[] sin) {}

  private record Key(int d, float theta) {}

  private static final ConcurrentHashMap<Key, Table> TABLES = new ConcurrentHashMap<>();

  private static Table table(int d, float theta, int maxPos) {
    Key key = new Key(d, theta);
    Table t = TABLES.get(key);
    if (t != null && t.positions() > maxPos) return t;
    // Grow geometrically so that decoding one token at a time rebuilds the table O(log T) times.
    int positions = Math.max(maxPos + 1, t == null ? 4096 : 2 * t.positions());
    Table fresh = build(d, theta, positions);
    TABLES.merge(key, fresh, (a, b) -> a.positions() >= b.positions() ? a : b);
    return fresh;
  }

  private static Table build(int d, float theta, int positions) {
    int half = d / 2;
    float[] invFreq = new float[half];
    for (int j = 0; j < half; j++) {
      float exponent = (float) (2 * j) / (float) d;
      invFreq[j] = 1f / (float) Math.pow(theta, exponent);
    }
    float[] cos = new float[positions * half];
    float[] sin = new float[positions * half];
    for (int p = 0; p < positions; p++) {
      for (int j = 0; j < half; j++) {
        float angle = (float) p * invFreq[j];
        cos[p * half + j] = (float) Math.cos(angle);
        sin[p * half + j] = (float) Math.sin(angle);
      }
    }
    return new Table(half, positions, cos, sin);
  }

  private static int maxPos(int[] pos, int n) {
    int m = 0;
    for (int i = 0; i < n; i++) m = Math.max(m, pos[i]);
    return m;
  }

  /**
   * {@code y = x * cos + rotate_half(x) * sin}, as separate float multiplies and adds (no fused
   * multiply-add) so the rounding equals PyTorch's.
   */
  static void forward(float[] x, float[] y, int[] pos, int n, int h, int d, float theta) {
    Table t = table(d, theta, maxPos(pos, n));
    int half = t.half();
    Parallel.forRange(
        n,
        Math.max(1, 8192 / (h * d)),
        (from, to) -> {
          for (int i = from; i < to; i++) {
            int tab = pos[i] * half;
            for (int head = 0; head < h; head++) {
              int base = (i * h + head) * d;
              int j = 0;
              for (int ub = S.loopBound(half); j < ub; j += L) {
                FloatVector x1 = FloatVector.fromArray(S, x, base + j);
                FloatVector x2 = FloatVector.fromArray(S, x, base + half + j);
                FloatVector c = FloatVector.fromArray(S, t.cos(), tab + j);
                FloatVector s = FloatVector.fromArray(S, t.sin(), tab + j);
                x1.mul(c).sub(x2.mul(s)).intoArray(y, base + j);
                x2.mul(c).add(x1.mul(s)).intoArray(y, base + half + j);
              }
              for (; j < half; j++) {
                float x1 = x[base + j];
                float x2 = x[base + half + j];
                float c = t.cos()[tab + j];
                float s = t.sin()[tab + j];
                y[base + j] = x1 * c - x2 * s;
                y[base + half + j] = x2 * c + x1 * s;
              }
            }
          }
        });
  }

  /** {@code dx += R(pos)^T dy}: the rotation by the negative angle. */
  static void backward(float[] dy, float[] dx, int[] pos, int n, int h, int d, float theta) {
    Table t = table(d, theta, maxPos(pos, n));
    int half = t.half();
    Parallel.forRange(
        n,
        Math.max(1, 8192 / (h * d)),
        (from, to) -> {
          for (int i = from; i < to; i++) {
            int tab = pos[i] * half;
            for (int head = 0; head < h; head++) {
              int base = (i * h + head) * d;
              int j = 0;
              for (int ub = S.loopBound(half); j < ub; j += L) {
                FloatVector g1 = FloatVector.fromArray(S, dy, base + j);
                FloatVector g2 = FloatVector.fromArray(S, dy, base + half + j);
                FloatVector c = FloatVector.fromArray(S, t.cos(), tab + j);
                FloatVector s = FloatVector.fromArray(S, t.sin(), tab + j);
                FloatVector d1 = FloatVector.fromArray(S, dx, base + j);
                FloatVector d2 = FloatVector.fromArray(S, dx, base + half + j);
                d1.add(g1.mul(c).add(g2.mul(s))).intoArray(dx, base + j);
                d2.add(g2.mul(c).sub(g1.mul(s))).intoArray(dx, base + half + j);
              }
              for (; j < half; j++) {
                float g1 = dy[base + j];
                float g2 = dy[base + half + j];
                float c = t.cos()[tab + j];
                float s = t.sin()[tab + j];
                dx[base + j] += g1 * c + g2 * s;
                dx[base + half + j] += g2 * c - g1 * s;
              }
            }
          }
        });
  }
}
