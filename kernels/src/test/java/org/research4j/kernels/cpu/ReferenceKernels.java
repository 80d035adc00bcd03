package org.research4j.kernels.cpu;

/**
 * Slow, obvious double-precision versions of the kernels: plain loops straight from the definitions
 * in {@code Kernels}' javadoc, the yardstick the fast kernels are tested against. Attention
 * materialises the full score matrix here on purpose.
 */
final class ReferenceKernels {
  private ReferenceKernels() {}

  /** Output and log-sum-exp of causal GQA attention. */
  record Attention(double[] out, double[] lse) {}

  static Attention attention(
      double[] q,
      double[] k,
      double[] v,
      int[] start,
      int b,
      int tq,
      int tk,
      int hq,
      int hkv,
      int d,
      double scale) {
    double[] out = new double[b * tq * hq * d];
    double[] lse = new double[b * hq * tq];
    int group = hq / hkv;
    for (int s = 0; s < b; s++) {
      for (int h = 0; h < hq; h++) {
        int g = h / group;
        double[][] scores = new double[tq][tk];
        for (int i = 0; i < tq; i++) {
          int p = (start == null ? 0 : start[s]) + i;
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j < tk; j++) {
            if (j > p) {
              scores[i][j] = Double.NEGATIVE_INFINITY;
              continue;
            }
            double dot = 0;
            for (int c = 0; c < d; c++)
              dot += q[qi(s, i, h, c, tq, hq, d)] * k[qi(s, j, g, c, tk, hkv, d)];
            scores[i][j] = scale * dot;
            max = Math.max(max, scores[i][j]);
          }
          double sum = 0;
          for (int j = 0; j <= p; j++) sum += Math.exp(scores[i][j] - max);
          lse[(s * hq + h) * tq + i] = max + Math.log(sum);
          for (int j = 0; j <= p; j++) {
            double pr = Math.exp(scores[i][j] - max) / sum;
            for (int c = 0; c < d; c++)
              out[qi(s, i, h, c, tq, hq, d)] += pr * v[qi(s, j, g, c, tk, hkv, d)];
          }
        }
      }
    }
    return new Attention(out, lse);
  }

  /** Index of element {@code c} of head {@code h} at position {@code i} of sequence {@code s}. */
  static int qi(int s, int i, int h, int c, int t, int heads, int d) {
    return ((s * t + i) * heads + h) * d + c;
  }

  record AttentionGrads(double[] dq, double[] dk, double[] dv) {}

  /** Gradients of {@code sum(dOut * out)} for training attention ({@code tq == tk == t}). */
  static AttentionGrads attentionBackward(
      double[] q,
      double[] k,
      double[] v,
      double[] dOut,
      int b,
      int t,
      int hq,
      int hkv,
      int d,
      double scale) {
    double[] dq = new double[q.length];
    double[] dk = new double[k.length];
    double[] dv = new double[v.length];
    int group = hq / hkv;
    for (int s = 0; s < b; s++) {
      for (int h = 0; h < hq; h++) {
        int g = h / group;
        double[][] p = new double[t][t];
        for (int i = 0; i < t; i++) {
          double[] sc = new double[i + 1];
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j <= i; j++) {
            double dot = 0;
            for (int c = 0; c < d; c++)
              dot += q[qi(s, i, h, c, t, hq, d)] * k[qi(s, j, g, c, t, hkv, d)];
            sc[j] = scale * dot;
            max = Math.max(max, sc[j]);
          }
          double sum = 0;
          for (int j = 0; j <= i; j++) sum += Math.exp(sc[j] - max);
          for (int j = 0; j <= i; j++) p[i][j] = Math.exp(sc[j] - max) / sum;
        }
        for (int i = 0; i < t; i++) {
          double[] dp = new double[i + 1];
          double rowDot = 0;
          for (int j = 0; j <= i; j++) {
            for (int c = 0; c < d; c++)
              dp[j] += dOut[qi(s, i, h, c, t, hq, d)] * v[qi(s, j, g, c, t, hkv, d)];
            rowDot += p[i][j] * dp[j];
          }
          for (int j = 0; j <= i; j++) {
            double ds = p[i][j] * (dp[j] - rowDot);
            for (int c = 0; c < d; c++) {
              dq[qi(s, i, h, c, t, hq, d)] += scale * ds * k[qi(s, j, g, c, t, hkv, d)];
              dk[qi(s, j, g, c, t, hkv, d)] += scale * ds * q[qi(s, i, h, c, t, hq, d)];
              dv[qi(s, j, g, c, t, hkv, d)] += p[i][j] * dOut[qi(s, i, h, c, t, hq, d)];
            }
          }
        }
      }
    }
    return new AttentionGrads(dq, dk, dv);
  }

  static double[] rmsnorm(double[] x, double[] w, int rows, int dim, double eps) {
    double[] y = new double[rows * dim];
    for (int r = 0; r < rows; r++) {
      double ss = 0;
      for (int c = 0; c < dim; c++) ss += x[r * dim + c] * x[r * dim + c];
      double rstd = 1 / Math.sqrt(ss / dim + eps);
      for (int c = 0; c < dim; c++) y[r * dim + c] = x[r * dim + c] * rstd * w[c];
    }
    return y;
  }

  /** Gradients {@code {dx, dw}} of {@code sum(dy * rmsnorm(x, w))}. */
  static double[][] rmsnormBackward(
      double[] x, double[] w, double[] dy, int rows, int dim, double eps) {
    double[] dx = new double[rows * dim];
    double[] dw = new double[dim];
    for (int r = 0; r < rows; r++) {
      double ss = 0;
      for (int c = 0; c < dim; c++) ss += x[r * dim + c] * x[r * dim + c];
      double rstd = 1 / Math.sqrt(ss / dim + eps);
      double dot = 0;
      for (int c = 0; c < dim; c++) dot += dy[r * dim + c] * w[c] * x[r * dim + c];
      for (int c = 0; c < dim; c++) {
        int i = r * dim + c;
        dx[i] = rstd * w[c] * dy[i] - x[i] * rstd * rstd * rstd * dot / dim;
        dw[c] += dy[i] * x[i] * rstd;
      }
    }
    return new double[][] {dx, dw};
  }

  /**
   * The rotation angle as Hugging Face computes it in float32: {@code inv_freq = 1 / theta^(2j/d)}
   * and {@code pos * inv_freq}, each rounded to float. Everything after the angle is double.
   */
  static double ropeAngle(int pos, int j, int d, float theta) {
    float invFreq = 1f / (float) Math.pow(theta, (float) (2 * j) / (float) d);
    return (float) pos * invFreq;
  }

  static double[] rope(double[] x, int[] pos, int n, int h, int d, float theta, boolean inverse) {
    double[] y = new double[x.length];
    int half = d / 2;
    for (int i = 0; i < n; i++) {
      for (int head = 0; head < h; head++) {
        for (int j = 0; j < half; j++) {
          double a = ropeAngle(pos[i], j, d, theta) * (inverse ? -1 : 1);
          int base = (i * h + head) * d;
          double x1 = x[base + j];
          double x2 = x[base + half + j];
          y[base + j] = x1 * Math.cos(a) - x2 * Math.sin(a);
          y[base + half + j] = x2 * Math.cos(a) + x1 * Math.sin(a);
        }
      }
    }
    return y;
  }

  static double silu(double g) {
    return g / (1 + Math.exp(-g));
  }

  static double[] swiglu(double[] gate, double[] up) {
    double[] y = new double[gate.length];
    for (int i = 0; i < y.length; i++) y[i] = silu(gate[i]) * up[i];
    return y;
  }

  /** {@code {dgate, dup}}. */
  static double[][] swigluBackward(double[] gate, double[] up, double[] dy) {
    double[] dg = new double[gate.length];
    double[] du = new double[gate.length];
    for (int i = 0; i < dg.length; i++) {
      double s = 1 / (1 + Math.exp(-gate[i]));
      dg[i] = dy[i] * up[i] * (s + gate[i] * s * (1 - s));
      du[i] = dy[i] * silu(gate[i]);
    }
    return new double[][] {dg, du};
  }

  static double[] softmax(double[] x, int rows, int cols) {
    double[] y = new double[x.length];
    for (int r = 0; r < rows; r++) {
      double lse = logSumExp(x, r * cols, cols);
      for (int c = 0; c < cols; c++) y[r * cols + c] = Math.exp(x[r * cols + c] - lse);
    }
    return y;
  }

  static double[] logSoftmax(double[] x, int rows, int cols) {
    double[] y = new double[x.length];
    for (int r = 0; r < rows; r++) {
      double lse = logSumExp(x, r * cols, cols);
      for (int c = 0; c < cols; c++) y[r * cols + c] = x[r * cols + c] - lse;
    }
    return y;
  }

  static double logSumExp(double[] x, int off, int n) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) max = Math.max(max, x[off + i]);
    double sum = 0;
    for (int i = 0; i < n; i++) sum += Math.exp(x[off + i] - max);
    return max + Math.log(sum);
  }

  /** {@code dx} of {@code sum(dy * softmax(x))}, from the Jacobian {@code diag(y) - y y^T}. */
  static double[] softmaxBackward(double[] y, double[] dy, int rows, int cols) {
    double[] dx = new double[y.length];
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < cols; i++) {
        double acc = 0;
        for (int j = 0; j < cols; j++) {
          double jac = (i == j ? y[r * cols + i] : 0) - y[r * cols + i] * y[r * cols + j];
          acc += jac * dy[r * cols + j];
        }
        dx[r * cols + i] = acc;
      }
    }
    return dx;
  }

  /** {@code dx} of {@code sum(dy * logSoftmax(x))}: Jacobian {@code I - 1 softmax^T}. */
  static double[] logSoftmaxBackward(double[] y, double[] dy, int rows, int cols) {
    double[] dx = new double[y.length];
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < cols; i++) {
        double acc = 0;
        for (int j = 0; j < cols; j++) {
          acc += ((i == j ? 1 : 0) - Math.exp(y[r * cols + i])) * dy[r * cols + j];
        }
        dx[r * cols + i] = acc;
      }
    }
    return dx;
  }

  static double[] crossEntropy(double[] logits, int[] targets, int rows, int v, int ignore) {
    double[] loss = new double[rows];
    for (int r = 0; r < rows; r++) {
      if (targets[r] == ignore) continue;
      loss[r] = logSumExp(logits, r * v, v) - logits[r * v + targets[r]];
    }
    return loss;
  }

  static double[] crossEntropyBackward(
      double[] logits, int[] targets, double[] dloss, int rows, int v, int ignore) {
    double[] dl = new double[logits.length];
    for (int r = 0; r < rows; r++) {
      if (targets[r] == ignore) continue;
      double lse = logSumExp(logits, r * v, v);
      for (int c = 0; c < v; c++) {
        dl[r * v + c] = dloss[r] * (Math.exp(logits[r * v + c] - lse) - (c == targets[r] ? 1 : 0));
      }
    }
    return dl;
  }

  /**
   * The GRPO token terms as docs/ARCHITECTURE.md writes them ("The GRPO loss, per token"): {@code
   * {loss, kl}}.
   */
  static double[][] grpo(
      double[] lp,
      double[] old,
      double[] ref,
      double[] adv,
      double[] w,
      double epsLow,
      double epsHigh,
      double beta) {
    int n = lp.length;
    double[] loss = new double[n];
    double[] kl = new double[n];
    for (int t = 0; t < n; t++) {
      double rho = Math.exp(lp[t] - old[t]);
      double clipped = Math.min(Math.max(rho, 1 - epsLow), 1 + epsHigh);
      double pg = Math.max(-adv[t] * rho, -adv[t] * clipped);
      double x = ref[t] - lp[t];
      kl[t] = Math.min(10, Math.max(-10, Math.exp(x) - x - 1));
      loss[t] = w[t] * (pg + beta * kl[t]);
    }
    return new double[][] {loss, kl};
  }

  static double[] grpoBackward(
      double[] lp,
      double[] old,
      double[] ref,
      double[] adv,
      double[] w,
      double[] dloss,
      double epsLow,
      double epsHigh,
      double beta) {
    int n = lp.length;
    double[] g = new double[n];
    for (int t = 0; t < n; t++) {
      double rho = Math.exp(lp[t] - old[t]);
      double clipped = Math.min(Math.max(rho, 1 - epsLow), 1 + epsHigh);
      double dpg = -adv[t] * rho >= -adv[t] * clipped ? -adv[t] * rho : 0;
      double x = ref[t] - lp[t];
      double k = Math.exp(x) - x - 1;
      double dkl = k > 10 || k < -10 ? 0 : 1 - Math.exp(x);
      g[t] = dloss[t] * w[t] * (dpg + beta * dkl);
    }
    return g;
  }

  /**
   * One step of {@code torch.optim.AdamW} (torch/optim/adamw.py, single-tensor path) on {@code p,
   * m, v} in place.
   */
  static void adamw(
      double[] p,
      double[] grad,
      double[] m,
      double[] v,
      double lr,
      double beta1,
      double beta2,
      double eps,
      double weightDecay,
      double gradScale,
      int step) {
    for (int i = 0; i < p.length; i++) {
      double g = grad[i] * gradScale;
      p[i] *= 1 - lr * weightDecay;
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      double bc1 = 1 - Math.pow(beta1, step);
      double bc2 = 1 - Math.pow(beta2, step);
      double denom = Math.sqrt(v[i]) / Math.sqrt(bc2) + eps;
      p[i] -= lr / bc1 * m[i] / denom;
    }
  }
}
