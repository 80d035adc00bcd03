package org.research4j.tensor;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.research4j.tensor.Fixtures.CPU;
import static org.research4j.tensor.Fixtures.gaussian;
import static org.research4j.tensor.Fixtures.uniform;

import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * A finite-difference gradient check of every op with respect to every differentiable input, with
 * {@link GradCheck.Config#of}'s tolerances ({@code h = 1e-2}, rtol 1e-2, atol 1e-3; see {@link
 * GradCheck} for why). Inputs are kept away from kinks (clip boundaries, the KL clamp).
 */
class OpsGradCheckTest {

  private static void check(long seed, List<Parameter> wrt, Function<Ops, Tensor> f) {
    GradCheck.Result r = GradCheck.check(CPU, wrt, f, GradCheck.Config.of(seed));
    try {
      assertTrue(r.ok(), "seed " + seed + ": " + r);
      assertTrue(r.checked() > 0, "nothing checked");
    } finally {
      wrt.forEach(Parameter::close);
    }
  }

  private static Parameter param(String name, Random rnd, double scale, int... shape) {
    return Parameter.of(CPU, name, gaussian(rnd, Shapes.numel(shape), scale), shape);
  }

  @Test
  void linear() {
    Random rnd = new Random(101);
    Parameter x = param("x", rnd, 1, 2, 3, 5), w = param("w", rnd, 0.5, 4, 5);
    Parameter b = param("b", rnd, 1, 4);
    check(101, List.of(x, w, b), ops -> ops.linear(x, w, b));
  }

  @Test
  void linearWithoutBiasOnConstantInput() {
    Random rnd = new Random(102);
    float[] xh = gaussian(rnd, 4 * 6, 1);
    Parameter w = param("w", rnd, 0.5, 3, 6);
    check(102, List.of(w), ops -> ops.linear(ops.tape().tensor(xh, 4, 6), w, null));
  }

  @Test
  void matmul() {
    Random rnd = new Random(103);
    Parameter a = param("a", rnd, 1, 3, 4), b = param("b", rnd, 1, 4, 5);
    check(103, List.of(a, b), ops -> ops.matmul(a, b));
  }

  @Test
  void addMulScale() {
    Random rnd = new Random(104);
    Parameter a = param("a", rnd, 1, 3, 4), b = param("b", rnd, 1, 3, 4);
    check(104, List.of(a, b), ops -> ops.scale(ops.mul(ops.add(a, b), a), -1.5f));
  }

  @Test
  void swiglu() {
    Random rnd = new Random(105);
    Parameter g = param("gate", rnd, 2, 4, 6), u = param("up", rnd, 1, 4, 6);
    check(105, List.of(g, u), ops -> ops.swiglu(g, u));
  }

  @Test
  void embedding() {
    Random rnd = new Random(106);
    Parameter table = param("table", rnd, 1, 6, 4);
    int[] ids = {5, 0, 5, 2, 2, 3, 5};
    check(106, List.of(table), ops -> ops.embedding(table, ops.tape().ints(ids, ids.length)));
  }

  @Test
  void rmsnorm() {
    Random rnd = new Random(107);
    Parameter x = param("x", rnd, 1, 3, 8);
    Parameter w = Parameter.of(CPU, "w", uniform(rnd, 8, 0.5, 1.5), 8);
    check(107, List.of(x, w), ops -> ops.rmsnorm(x, w, 1e-5f));
  }

  @Test
  void rope() {
    Random rnd = new Random(108);
    Parameter x = param("x", rnd, 1, 2, 3, 2, 8);
    int[] pos = {0, 1, 2, 7, 8, 9};
    check(108, List.of(x), ops -> ops.rope(x, ops.tape().ints(pos, 2, 3), 10000f));
  }

  @Test
  void attention() {
    Random rnd = new Random(109);
    Parameter q = param("q", rnd, 1, 2, 5, 4, 8);
    Parameter k = param("k", rnd, 1, 2, 5, 2, 8);
    Parameter v = param("v", rnd, 1, 2, 5, 2, 8);
    check(109, List.of(q, k, v), ops -> ops.attention(q, k, v));
  }

  @Test
  void softmax() {
    Random rnd = new Random(110);
    Parameter x = param("x", rnd, 2, 3, 7);
    check(110, List.of(x), ops -> ops.softmax(x));
  }

  @Test
  void logSoftmax() {
    Random rnd = new Random(111);
    Parameter x = param("x", rnd, 2, 3, 7);
    check(111, List.of(x), ops -> ops.logSoftmax(x));
  }

  @Test
  void crossEntropyPerRowAndMean() {
    Random rnd = new Random(112);
    int[] targets = {1, Ops.IGNORE_INDEX, 6, 0, 3};
    Parameter x = param("logits", rnd, 2, 5, 7);
    check(112, List.of(x), ops -> ops.crossEntropy(x, ops.tape().ints(targets, 5), -100));
    Parameter x2 = param("logits", rnd, 2, 5, 7);
    check(113, List.of(x2), ops -> ops.crossEntropyMean(x2, ops.tape().ints(targets, 5), -100));
  }

  @Test
  void tokenLogProbs() {
    Random rnd = new Random(114);
    int[] targets = {4, 2, Ops.IGNORE_INDEX, 0};
    Parameter x = param("logits", rnd, 2, 2, 2, 6);
    check(114, List.of(x), ops -> ops.tokenLogProbs(x, ops.tape().ints(targets, 2, 2), -100));
  }

  @Test
  void grpoLossAwayFromClipBoundaries() {
    long seed = 115;
    Random rnd = new Random(seed);
    int n = 30;
    float epsLow = 0.2f, epsHigh = 0.2f, beta = 0.1f;
    float[] lp = uniform(rnd, n, -3, -0.2), old = new float[n], ref = new float[n];
    float[] adv = gaussian(rnd, n, 1), weight = uniform(rnd, n, 0, 2f / n);
    for (int i = 0; i < n; i++) {
      // log-ratio at least 0.05 away from log(0.8) and log(1.2), so ±h never crosses a kink
      double lr;
      do {
        lr = rnd.nextGaussian() * 0.3;
      } while (Math.abs(lr - Math.log(1 - epsLow)) < 0.05
          || Math.abs(lr - Math.log(1 + epsHigh)) < 0.05);
      old[i] = (float) (lp[i] - lr);
      ref[i] = lp[i] + (float) (rnd.nextGaussian() * 0.5);
    }
    Parameter logp = Parameter.of(CPU, "logp", lp, n);
    check(
        seed,
        List.of(logp),
        ops -> {
          Tape t = ops.tape();
          return ops.grpoLoss(
                  logp,
                  t.tensor(old, n),
                  t.tensor(ref, n),
                  t.tensor(adv, n),
                  t.tensor(weight, n),
                  epsLow,
                  epsHigh,
                  beta)
              .loss();
        });
  }

  @Test
  void sumAndMean() {
    Random rnd = new Random(116);
    Parameter x = param("x", rnd, 1, 4, 5);
    check(116, List.of(x), ops -> ops.add(ops.sum(x), ops.mean(ops.mul(x, x))));
  }

  @Test
  void aTinyTransformerBlock() {
    // The ops composed as in a Qwen2 layer: a check of the tape's plumbing (views, reuse, residual
    // accumulation), not only of single ops.
    long seed = 117;
    Random rnd = new Random(seed);
    int b = 1, t = 4, dim = 8, hq = 2, hkv = 1, hd = 4, ff = 12;
    Parameter x = param("x", rnd, 1, b, t, dim);
    Parameter norm = Parameter.of(CPU, "norm", uniform(rnd, dim, 0.8, 1.2), dim);
    Parameter wq = param("wq", rnd, 0.4, hq * hd, dim), bq = param("bq", rnd, 0.1, hq * hd);
    Parameter wk = param("wk", rnd, 0.4, hkv * hd, dim), wv = param("wv", rnd, 0.4, hkv * hd, dim);
    Parameter wo = param("wo", rnd, 0.4, dim, hq * hd);
    Parameter wg = param("wg", rnd, 0.4, ff, dim), wu = param("wu", rnd, 0.4, ff, dim);
    Parameter wd = param("wd", rnd, 0.4, dim, ff);
    int[] pos = {0, 1, 2, 3};
    check(
        seed,
        List.of(x, norm, wq, bq, wk, wv, wo, wg, wu, wd),
        ops -> {
          Tensor p = ops.tape().ints(pos, b, t);
          Tensor h = ops.rmsnorm(x, norm, 1e-6f);
          Tensor q = ops.rope(ops.linear(h, wq, bq).view(b, t, hq, hd), p, 10000f);
          Tensor k = ops.rope(ops.linear(h, wk, null).view(b, t, hkv, hd), p, 10000f);
          Tensor v = ops.linear(h, wv, null).view(b, t, hkv, hd);
          Tensor a = ops.linear(ops.attention(q, k, v).view(b, t, hq * hd), wo, null);
          Tensor r = ops.add(x, a);
          Tensor h2 = ops.rmsnorm(r, norm, 1e-6f);
          return ops.add(
              r,
              ops.linear(ops.swiglu(ops.linear(h2, wg, null), ops.linear(h2, wu, null)), wd, null));
        });
  }
}
