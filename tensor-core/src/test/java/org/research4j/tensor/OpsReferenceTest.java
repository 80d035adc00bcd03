package org.research4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.research4j.tensor.Fixtures.CPU;
import static org.research4j.tensor.Fixtures.assertClose;
import static org.research4j.tensor.Fixtures.gaussian;
import static org.research4j.tensor.Fixtures.uniform;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Every op against a plain-loop double-precision reference written here: forward values, and the
 * gradients of {@code L = sum(w * y)} for fixed random upstream weights {@code w} (so {@code dy =
 * w}). Tolerances: elementwise ops 1e-5 relative plus 1e-6 absolute (float32 rounding of one or two
 * operations); ops with reductions or exponentials 1e-4 relative plus 1e-5 absolute (float32
 * accumulation over up to a few hundred terms).
 */
class OpsReferenceTest {
  private static final double ELEM_RTOL = 1e-5, ELEM_ATOL = 1e-6;
  private static final double RED_RTOL = 1e-4, RED_ATOL = 1e-5;

  /** Backward of {@code sum(w * y)}; returns the host copy of {@code y}. */
  private static float[] backwardOfWeightedSum(Tape tape, Tensor y, float[] w) {
    Ops ops = tape.ops();
    tape.backward(ops.sum(ops.mul(y, tape.tensor(w, y.shape()))));
    return y.toFloatArray();
  }

  @Test
  void linearWithBias() {
    long seed = 11;
    Random rnd = new Random(seed);
    int rows = 6, in = 13, out = 9;
    float[] xh = gaussian(rnd, rows * in, 1), wh = gaussian(rnd, out * in, 0.5);
    float[] bh = gaussian(rnd, out, 1), dy = gaussian(rnd, rows * out, 1);
    try (Tape tape = new Tape(CPU);
        Parameter x = Parameter.of(CPU, "x", xh, 2, 3, in);
        Parameter w = Parameter.of(CPU, "w", wh, out, in);
        Parameter b = Parameter.of(CPU, "b", bh, out)) {
      Tensor y = tape.ops().linear(x, w, b);
      float[] yv = backwardOfWeightedSum(tape, y, dy);
      double[] ye = new double[rows * out], dx = new double[rows * in];
      double[] dw = new double[out * in], db = new double[out];
      for (int r = 0; r < rows; r++) {
        for (int o = 0; o < out; o++) {
          double s = bh[o];
          for (int i = 0; i < in; i++) s += (double) xh[r * in + i] * wh[o * in + i];
          ye[r * out + o] = s;
          double g = dy[r * out + o];
          db[o] += g;
          for (int i = 0; i < in; i++) {
            dx[r * in + i] += g * wh[o * in + i];
            dw[o * in + i] += g * xh[r * in + i];
          }
        }
      }
      assertClose("linear y", ye, yv, RED_RTOL, RED_ATOL, seed);
      assertClose("linear dx", dx, x.gradToFloatArray(), RED_RTOL, RED_ATOL, seed);
      assertClose("linear dw", dw, w.gradToFloatArray(), RED_RTOL, RED_ATOL, seed);
      assertClose("linear db", db, b.gradToFloatArray(), RED_RTOL, RED_ATOL, seed);
      assertArrayEquals(new int[] {2, 3, out}, y.shape());
    }
  }

  @Test
  void matmul() {
    long seed = 12;
    Random rnd = new Random(seed);
    int m = 5, n = 7, p = 4;
    float[] ah = gaussian(rnd, m * n, 1), bh = gaussian(rnd, n * p, 1);
    float[] dy = gaussian(rnd, m * p, 1);
    try (Tape tape = new Tape(CPU);
        Parameter a = Parameter.of(CPU, "a", ah, m, n);
        Parameter b = Parameter.of(CPU, "b", bh, n, p)) {
      float[] yv = backwardOfWeightedSum(tape, tape.ops().matmul(a, b), dy);
      double[] ye = new double[m * p], da = new double[m * n], db = new double[n * p];
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < p; j++) {
          for (int l = 0; l < n; l++) {
            ye[i * p + j] += (double) ah[i * n + l] * bh[l * p + j];
            da[i * n + l] += dy[i * p + j] * (double) bh[l * p + j];
            db[l * p + j] += dy[i * p + j] * (double) ah[i * n + l];
          }
        }
      }
      assertClose("matmul y", ye, yv, RED_RTOL, RED_ATOL, seed);
      assertClose("matmul da", da, a.gradToFloatArray(), RED_RTOL, RED_ATOL, seed);
      assertClose("matmul db", db, b.gradToFloatArray(), RED_RTOL, RED_ATOL, seed);
    }
  }

  @Test
  void addMulScale() {
    long seed = 13;
    Random rnd = new Random(seed);
    int n = 37;
    float[] ah = gaussian(rnd, n, 1), bh = gaussian(rnd, n, 1), dy = gaussian(rnd, n, 1);
    try (Tape tape = new Tape(CPU);
        Parameter a = Parameter.of(CPU, "a", ah, n);
        Parameter b = Parameter.of(CPU, "b", bh, n)) {
      Ops ops = tape.ops();
      // y = 0.5 * (a + b) * a exercises all three and a tensor used twice.
      Tensor y = ops.scale(ops.mul(ops.add(a, b), a), 0.5f);
      float[] yv = backwardOfWeightedSum(tape, y, dy);
      double[] ye = new double[n], da = new double[n], db = new double[n];
      for (int i = 0; i < n; i++) {
        double av = ah[i], bv = bh[i];
        ye[i] = 0.5 * (av + bv) * av;
        da[i] = dy[i] * 0.5 * (2 * av + bv);
        db[i] = dy[i] * 0.5 * av;
      }
      assertClose("add/mul/scale y", ye, yv, ELEM_RTOL, ELEM_ATOL, seed);
      assertClose("add/mul/scale da", da, a.gradToFloatArray(), ELEM_RTOL, ELEM_ATOL, seed);
      assertClose("add/mul/scale db", db, b.gradToFloatArray(), ELEM_RTOL, ELEM_ATOL, seed);
    }
  }

  @Test
  void swiglu() {
    long seed = 14;
    Random rnd = new Random(seed);
    int n = 41;
    float[] gh = gaussian(rnd, n, 2), uh = gaussian(rnd, n, 1), dy = gaussian(rnd, n, 1);
    try (Tape tape = new Tape(CPU);
        Parameter g = Parameter.of(CPU, "gate", gh, n);
        Parameter u = Parameter.of(CPU, "up", uh, n)) {
      float[] yv = backwardOfWeightedSum(tape, tape.ops().swiglu(g, u), dy);
      double[] ye = new double[n], dg = new double[n], du = new double[n];
      for (int i = 0; i < n; i++) {
        double x = gh[i], s = 1 / (1 + Math.exp(-x));
        ye[i] = x * s * uh[i];
        du[i] = dy[i] * x * s;
        dg[i] = dy[i] * uh[i] * s * (1 + x * (1 - s));
      }
      assertClose("swiglu y", ye, yv, RED_RTOL, RED_ATOL, seed);
      assertClose("swiglu dgate", dg, g.gradToFloatArray(), RED_RTOL, RED_ATOL, seed);
      assertClose("swiglu dup", du, u.gradToFloatArray(), RED_RTOL, RED_ATOL, seed);
    }
  }

  @Test
  void embeddingWithRepeatedIds() {
    long seed = 15;
    Random rnd = new Random(seed);
    int vocab = 7, dim = 5;
    int[] ids = {3, 0, 3, 6, 1, 3};
    float[] th = gaussian(rnd, vocab * dim, 1), dy = gaussian(rnd, ids.length * dim, 1);
    try (Tape tape = new Tape(CPU);
        Parameter table = Parameter.of(CPU, "table", th, vocab, dim)) {
      Tensor y = tape.ops().embedding(table, tape.ints(ids, 2, 3));
      float[] yv = backwardOfWeightedSum(tape, y, dy);
      double[] ye = new double[ids.length * dim], dt = new double[vocab * dim];
      for (int i = 0; i < ids.length; i++) {
        for (int c = 0; c < dim; c++) {
          ye[i * dim + c] = th[ids[i] * dim + c];
          dt[ids[i] * dim + c] += dy[i * dim + c];
        }
      }
      assertClose("embedding y", ye, yv, 0, 0, seed);
      assertClose("embedding dtable", dt, table.gradToFloatArray(), ELEM_RTOL, ELEM_ATOL, seed);
      assertArrayEquals(new int[] {2, 3, dim}, y.shape());
    }
  }

  @Test
  void rmsnorm() {
    long seed = 16;
    Random rnd = new Random(seed);
    int rows = 5, dim = 24;
    float eps = 1e-6f;
    float[] xh = gaussian(rnd, rows * dim, 1.5), wh = uniform(rnd, dim, 0.5, 1.5);
    float[] dy = gaussian(rnd, rows * dim, 1);
    try (Tape tape = new Tape(CPU);
        Parameter x = Parameter.of(CPU, "x", xh, rows, dim);
        Parameter w = Parameter.of(CPU, "w", wh, dim)) {
      float[] yv = backwardOfWeightedSum(tape, tape.ops().rmsnorm(x, w, eps), dy);
      double[] ye = new double[rows * dim], dx = new double[rows * dim], dw = new double[dim];
      for (int r = 0; r < rows; r++) {
        double ss = 0;
        for (int c = 0; c < dim; c++) ss += (double) xh[r * dim + c] * xh[r * dim + c];
        double rstd = 1 / Math.sqrt(ss / dim + eps);
        double dot = 0;
        for (int c = 0; c < dim; c++) {
          int i = r * dim + c;
          ye[i] = xh[i] * rstd * wh[c];
          dw[c] += dy[i] * xh[i] * rstd;
          dot += dy[i] * wh[c] * xh[i];
        }
        for (int c = 0; c < dim; c++) {
          int i = r * dim + c;
          dx[i] = rstd * dy[i] * wh[c] - xh[i] * rstd * rstd * rstd * dot / dim;
        }
      }
      assertClose("rmsnorm y", ye, yv, RED_RTOL, RED_ATOL, seed);
      assertClose("rmsnorm dx", dx, x.gradToFloatArray(), RED_RTOL, RED_ATOL, seed);
      assertClose("rmsnorm dw", dw, w.gradToFloatArray(), RED_RTOL, RED_ATOL, seed);
    }
  }

  @Test
  void ropeRotateHalf() {
    long seed = 17;
    Random rnd = new Random(seed);
    int b = 2, t = 3, h = 2, d = 8;
    float theta = 10000f;
    int n = b * t;
    int[] pos = {0, 1, 2, 5, 6, 7};
    float[] xh = gaussian(rnd, n * h * d, 1), dy = gaussian(rnd, n * h * d, 1);
    try (Tape tape = new Tape(CPU);
        Parameter x = Parameter.of(CPU, "x", xh, b, t, h, d)) {
      float[] yv = backwardOfWeightedSum(tape, tape.ops().rope(x, tape.ints(pos, b, t), theta), dy);
      double[] ye = new double[xh.length], dx = new double[xh.length];
      int half = d / 2;
      for (int i = 0; i < n; i++) {
        for (int hh = 0; hh < h; hh++) {
          int base = (i * h + hh) * d;
          for (int j = 0; j < half; j++) {
            double ang = pos[i] * Math.pow(theta, -2.0 * j / d);
            double c = Math.cos(ang), s = Math.sin(ang);
            double x1 = xh[base + j], x2 = xh[base + j + half];
            ye[base + j] = x1 * c - x2 * s;
            ye[base + j + half] = x2 * c + x1 * s;
            double g1 = dy[base + j], g2 = dy[base + j + half];
            dx[base + j] = g1 * c + g2 * s;
            dx[base + j + half] = -g1 * s + g2 * c;
          }
        }
      }
      assertClose("rope y", ye, yv, RED_RTOL, RED_ATOL, seed);
      assertClose("rope dx", dx, x.gradToFloatArray(), RED_RTOL, RED_ATOL, seed);
    }
  }

  @Test
  void causalGqaAttention() {
    long seed = 18;
    Random rnd = new Random(seed);
    int b = 2, t = 6, hq = 4, hkv = 2, d = 8;
    float scale = (float) (1 / Math.sqrt(d));
    float[] qh = gaussian(rnd, b * t * hq * d, 1), kh = gaussian(rnd, b * t * hkv * d, 1);
    float[] vh = gaussian(rnd, b * t * hkv * d, 1), dy = gaussian(rnd, b * t * hq * d, 1);
    try (Tape tape = new Tape(CPU);
        Parameter q = Parameter.of(CPU, "q", qh, b, t, hq, d);
        Parameter k = Parameter.of(CPU, "k", kh, b, t, hkv, d);
        Parameter v = Parameter.of(CPU, "v", vh, b, t, hkv, d)) {
      float[] yv = backwardOfWeightedSum(tape, tape.ops().attention(q, k, v), dy);
      double[] ye = new double[qh.length], dq = new double[qh.length];
      double[] dk = new double[kh.length], dv = new double[vh.length];
      int group = hq / hkv;
      for (int s = 0; s < b; s++) {
        for (int h = 0; h < hq; h++) {
          int g = h / group;
          for (int i = 0; i < t; i++) {
            int qo = ((s * t + i) * hq + h) * d;
            double[] p = new double[i + 1];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j <= i; j++) {
              int ko = ((s * t + j) * hkv + g) * d;
              double dot = 0;
              for (int c = 0; c < d; c++) dot += (double) qh[qo + c] * kh[ko + c];
              p[j] = dot * scale;
              max = Math.max(max, p[j]);
            }
            double z = 0;
            for (int j = 0; j <= i; j++) z += p[j] = Math.exp(p[j] - max);
            double[] dp = new double[i + 1];
            double pdp = 0;
            for (int j = 0; j <= i; j++) {
              p[j] /= z;
              int vo = ((s * t + j) * hkv + g) * d;
              for (int c = 0; c < d; c++) {
                ye[qo + c] += p[j] * vh[vo + c];
                dv[vo + c] += p[j] * dy[qo + c];
                dp[j] += (double) dy[qo + c] * vh[vo + c];
              }
              pdp += p[j] * dp[j];
            }
            for (int j = 0; j <= i; j++) {
              double ds = p[j] * (dp[j] - pdp) * scale;
              int ko = ((s * t + j) * hkv + g) * d;
              for (int c = 0; c < d; c++) {
                dq[qo + c] += ds * kh[ko + c];
                dk[ko + c] += ds * qh[qo + c];
              }
            }
          }
        }
      }
      assertClose("attention y", ye, yv, RED_RTOL, RED_ATOL, seed);
      assertClose("attention dq", dq, q.gradToFloatArray(), RED_RTOL, RED_ATOL, seed);
      assertClose("attention dk", dk, k.gradToFloatArray(), RED_RTOL, RED_ATOL, seed);
      assertClose("attention dv", dv, v.gradToFloatArray(), RED_RTOL, RED_ATOL, seed);
    }
  }

  @Test
  void softmaxAndLogSoftmax() {
    long seed = 19;
    Random rnd = new Random(seed);
    int rows = 4, cols = 11;
    float[] xh = gaussian(rnd, rows * cols, 3), dy = gaussian(rnd, rows * cols, 1);
    for (boolean log : new boolean[] {false, true}) {
      try (Tape tape = new Tape(CPU);
          Parameter x = Parameter.of(CPU, "x", xh, rows, cols)) {
        Tensor y = log ? tape.ops().logSoftmax(x) : tape.ops().softmax(x);
        float[] yv = backwardOfWeightedSum(tape, y, dy);
        double[] ye = new double[xh.length], dx = new double[xh.length];
        for (int r = 0; r < rows; r++) {
          double max = Double.NEGATIVE_INFINITY;
          for (int c = 0; c < cols; c++) max = Math.max(max, xh[r * cols + c]);
          double z = 0;
          for (int c = 0; c < cols; c++) z += Math.exp(xh[r * cols + c] - max);
          double sumDy = 0, sumDyP = 0;
          for (int c = 0; c < cols; c++) {
            int i = r * cols + c;
            double p = Math.exp(xh[i] - max) / z;
            ye[i] = log ? xh[i] - max - Math.log(z) : p;
            sumDy += dy[i];
            sumDyP += dy[i] * p;
          }
          for (int c = 0; c < cols; c++) {
            int i = r * cols + c;
            double p = Math.exp(xh[i] - max) / z;
            dx[i] = log ? dy[i] - p * sumDy : p * (dy[i] - sumDyP);
          }
        }
        String name = log ? "logSoftmax" : "softmax";
        assertClose(name + " y", ye, yv, RED_RTOL, RED_ATOL, seed);
        assertClose(name + " dx", dx, x.gradToFloatArray(), RED_RTOL, RED_ATOL, seed);
      }
    }
  }

  @Test
  void crossEntropyAndTokenLogProbsWithIgnoredRows() {
    long seed = 20;
    Random rnd = new Random(seed);
    int rows = 6, v = 9;
    int[] targets = {2, Ops.IGNORE_INDEX, 8, 0, Ops.IGNORE_INDEX, 5};
    float[] xh = gaussian(rnd, rows * v, 2), dy = gaussian(rnd, rows, 1);
    double[] lossE = new double[rows], unit = new double[rows * v], dlogits = new double[rows * v];
    for (int r = 0; r < rows; r++) {
      if (targets[r] == Ops.IGNORE_INDEX) continue;
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < v; c++) max = Math.max(max, xh[r * v + c]);
      double z = 0;
      for (int c = 0; c < v; c++) z += Math.exp(xh[r * v + c] - max);
      lossE[r] = max + Math.log(z) - xh[r * v + targets[r]];
      for (int c = 0; c < v; c++) {
        double p = Math.exp(xh[r * v + c] - max) / z;
        unit[r * v + c] = p - (c == targets[r] ? 1 : 0);
        dlogits[r * v + c] = dy[r] * unit[r * v + c];
      }
    }
    try (Tape tape = new Tape(CPU);
        Parameter x = Parameter.of(CPU, "logits", xh, 2, 3, v)) {
      Tensor loss = tape.ops().crossEntropy(x, tape.ints(targets, 2, 3), Ops.IGNORE_INDEX);
      float[] lv = backwardOfWeightedSum(tape, loss, dy);
      assertClose("crossEntropy loss", lossE, lv, RED_RTOL, RED_ATOL, seed);
      assertClose("crossEntropy dlogits", dlogits, x.gradToFloatArray(), RED_RTOL, RED_ATOL, seed);
    }
    try (Tape tape = new Tape(CPU);
        Parameter x = Parameter.of(CPU, "logits", xh, rows, v)) {
      Tensor lp = tape.ops().tokenLogProbs(x, tape.ints(targets, rows), Ops.IGNORE_INDEX);
      float[] lv = backwardOfWeightedSum(tape, lp, dy);
      double[] negLoss = new double[rows], negGrad = new double[dlogits.length];
      for (int r = 0; r < rows; r++) negLoss[r] = -lossE[r];
      for (int i = 0; i < dlogits.length; i++) negGrad[i] = -dlogits[i];
      assertClose("tokenLogProbs", negLoss, lv, RED_RTOL, RED_ATOL, seed);
      assertClose("tokenLogProbs dlogits", negGrad, x.gradToFloatArray(), RED_RTOL, RED_ATOL, seed);
    }
    try (Tape tape = new Tape(CPU);
        Parameter x = Parameter.of(CPU, "logits", xh, rows, v)) {
      Tensor mean = tape.ops().crossEntropyMean(x, tape.ints(targets, rows), Ops.IGNORE_INDEX);
      tape.backward(mean);
      double meanE = 0;
      for (double l : lossE) meanE += l / 4;
      double[] dMean = new double[unit.length];
      for (int i = 0; i < unit.length; i++) dMean[i] = unit[i] / 4;
      assertClose(
          "crossEntropyMean", new double[] {meanE}, mean.toFloatArray(), RED_RTOL, RED_ATOL, seed);
      assertClose(
          "crossEntropyMean dlogits", dMean, x.gradToFloatArray(), RED_RTOL, RED_ATOL, seed);
    }
  }

  @Test
  void grpoLoss() {
    long seed = 21;
    Random rnd = new Random(seed);
    int n = 40;
    float epsLow = 0.2f, epsHigh = 0.28f, beta = 0.04f;
    float[] lp = uniform(rnd, n, -3, -0.1), old = new float[n], ref = new float[n];
    float[] adv = gaussian(rnd, n, 1), weight = new float[n];
    for (int i = 0; i < n; i++) {
      old[i] = lp[i] + (float) (rnd.nextGaussian() * 0.3);
      ref[i] = lp[i] + (float) (rnd.nextGaussian() * 0.5);
      weight[i] = i % 7 == 3 ? 0f : 1f / n;
    }
    ref[0] = lp[0] + 12f; // the KL clamp is active on this token
    double[] lossE = new double[n], klE = new double[n], dlp = new double[n];
    double total = 0;
    for (int i = 0; i < n; i++) {
      double rho = Math.exp((double) lp[i] - old[i]);
      double unclipped = -adv[i] * rho;
      double clipped = -adv[i] * Math.min(Math.max(rho, 1 - epsLow), 1 + epsHigh);
      double pg = Math.max(unclipped, clipped);
      double diff = (double) ref[i] - lp[i];
      double klRaw = Math.exp(diff) - diff - 1;
      double kl = Math.min(Math.max(klRaw, -10), 10);
      klE[i] = kl;
      lossE[i] = weight[i] * (pg + beta * kl);
      total += lossE[i];
      double dpg = unclipped >= clipped ? -adv[i] * rho : 0;
      double dkl = klRaw == kl ? 1 - Math.exp(diff) : 0;
      dlp[i] = weight[i] * (dpg + beta * dkl);
    }
    try (Tape tape = new Tape(CPU);
        Parameter logp = Parameter.of(CPU, "logp", lp, 4, 10)) {
      Ops ops = tape.ops();
      Ops.GrpoLoss g =
          ops.grpoLoss(
              logp,
              tape.tensor(old, 4, 10),
              tape.tensor(ref, 4, 10),
              tape.tensor(adv, 4, 10),
              tape.tensor(weight, 4, 10),
              epsLow,
              epsHigh,
              beta);
      tape.backward(g.loss());
      assertClose("grpo token loss", lossE, g.tokenLoss().toFloatArray(), RED_RTOL, RED_ATOL, seed);
      assertClose("grpo kl", klE, g.kl().toFloatArray(), RED_RTOL, RED_ATOL, seed);
      assertClose(
          "grpo loss", new double[] {total}, g.loss().toFloatArray(), RED_RTOL, RED_ATOL, seed);
      assertClose("grpo dlogp", dlp, logp.gradToFloatArray(), RED_RTOL, RED_ATOL, seed);
    }
  }

  @Test
  void sumAndMean() {
    long seed = 22;
    Random rnd = new Random(seed);
    int n = 1000;
    float[] xh = gaussian(rnd, n, 1);
    double s = 0;
    for (float f : xh) s += f;
    for (boolean mean : new boolean[] {false, true}) {
      try (Tape tape = new Tape(CPU);
          Parameter x = Parameter.of(CPU, "x", xh, 10, 100)) {
        Tensor y = mean ? tape.ops().mean(x) : tape.ops().sum(x);
        tape.backward(y);
        double[] dx = new double[n];
        Arrays.fill(dx, mean ? 1.0 / n : 1.0);
        assertClose(
            mean ? "mean" : "sum",
            new double[] {mean ? s / n : s},
            new float[] {y.item()},
            RED_RTOL,
            RED_ATOL,
            seed);
        assertClose(mean ? "mean dx" : "sum dx", dx, x.gradToFloatArray(), ELEM_RTOL, 0, seed);
        assertEquals(0, y.rank());
      }
    }
  }
}
