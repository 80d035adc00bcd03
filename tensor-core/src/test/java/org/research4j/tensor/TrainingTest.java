package org.research4j.tensor;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.research4j.tensor.Fixtures.CPU;
import static org.research4j.tensor.Fixtures.gaussian;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * End to end: small models trained with the whole stack (ops, tape, clipping, AdamW) on fixed toy
 * tasks must reach a stated loss. Seeds are fixed, so a run is deterministic; the thresholds sit
 * well below the loss of any model that has not learned the task.
 */
class TrainingTest {

  private static Parameter init(Parameters ps, Random rnd, String name, int... shape) {
    int fanIn = shape[shape.length - 1];
    return ps.add(
        Parameter.of(CPU, name, gaussian(rnd, Shapes.numel(shape), 1 / Math.sqrt(fanIn)), shape));
  }

  private static Parameter ones(Parameters ps, String name, int n) {
    float[] a = new float[n];
    java.util.Arrays.fill(a, 1f);
    return ps.add(Parameter.of(CPU, name, a, n));
  }

  /**
   * Three interleaved spiral arms of 60 points each (not linearly separable), a two-layer SwiGLU
   * MLP of width 32, full batch, 400 steps of AdamW at lr 1e-2 with clipping at 1.0. Chance level
   * is ln 3 = 1.10; the trained loss must fall below 0.15.
   */
  @Test
  void mlpLearnsSpirals() {
    long seed = 61;
    Random rnd = new Random(seed);
    int perArm = 60, arms = 3, n = perArm * arms, hidden = 32;
    float[] xs = new float[n * 2];
    int[] ys = new int[n];
    for (int a = 0; a < arms; a++) {
      for (int i = 0; i < perArm; i++) {
        double r = (i + 1.0) / perArm;
        double angle = 2 * Math.PI * a / arms + 3.0 * r + rnd.nextGaussian() * 0.05;
        int j = a * perArm + i;
        xs[2 * j] = (float) (r * Math.cos(angle));
        xs[2 * j + 1] = (float) (r * Math.sin(angle));
        ys[j] = a;
      }
    }
    float loss = Float.NaN;
    try (Parameters ps = new Parameters();
        Tape tape = new Tape(CPU)) {
      Parameter wg = init(ps, rnd, "gate.weight", hidden, 2);
      Parameter bg = ps.add(Parameter.zeros(CPU, "gate.bias", hidden));
      Parameter wu = init(ps, rnd, "up.weight", hidden, 2);
      Parameter bu = ps.add(Parameter.zeros(CPU, "up.bias", hidden));
      Parameter wo = init(ps, rnd, "out.weight", arms, hidden);
      Parameter bo = ps.add(Parameter.zeros(CPU, "out.bias", arms));
      try (AdamW opt = new AdamW(ps, AdamW.Config.of(1e-2f));
          Tensor x = Tensor.of(CPU, xs, n, 2);
          Tensor y = Tensor.ofInts(CPU, ys, n)) {
        for (int step = 0; step < 400; step++) {
          tape.reset();
          ps.zeroGrad();
          Ops ops = tape.ops();
          Tensor h = ops.swiglu(ops.linear(x, wg, bg), ops.linear(x, wu, bu));
          Tensor l = ops.crossEntropyMean(ops.linear(h, wo, bo), y, Ops.IGNORE_INDEX);
          tape.backward(l);
          GradClip.clipGlobalNorm(ps, 1.0);
          opt.step();
          loss = l.item();
        }
      }
    }
    assertTrue(loss < 0.15f, "final loss " + loss + " (seed " + seed + ")");
  }

  /**
   * A one-layer attention block (embedding, RoPE, grouped-query causal attention, residual,
   * RMSNorm, untied head) learns to output the previous token of random sequences, which only
   * attention to position t-1 can do. Vocabulary 8, so chance is ln 8 = 2.08; after 300 steps the
   * mean loss over the last 20 steps must be below 0.1.
   */
  @Test
  void attentionBlockLearnsToCopyThePreviousToken() {
    long seed = 62;
    Random rnd = new Random(seed);
    int vocab = 8, dim = 32, hq = 4, hkv = 2, hd = 8, b = 16, t = 8;
    float lossTail = 0;
    try (Parameters ps = new Parameters();
        Tape tape = new Tape(CPU)) {
      Parameter emb = init(ps, rnd, "embed", vocab, dim);
      Parameter wq = init(ps, rnd, "q", hq * hd, dim), wk = init(ps, rnd, "k", hkv * hd, dim);
      Parameter wv = init(ps, rnd, "v", hkv * hd, dim), wo = init(ps, rnd, "o", dim, hq * hd);
      Parameter norm = ones(ps, "norm", dim);
      Parameter head = init(ps, rnd, "head", vocab, dim);
      int[] pos = new int[b * t];
      for (int i = 0; i < b * t; i++) pos[i] = i % t;
      try (AdamW opt = new AdamW(ps, AdamW.Config.of(1e-2f))) {
        for (int step = 0; step < 300; step++) {
          int[] ids = new int[b * t], targets = new int[b * t];
          for (int i = 0; i < b * t; i++) {
            ids[i] = rnd.nextInt(vocab);
            targets[i] = i % t == 0 ? Ops.IGNORE_INDEX : ids[i - 1];
          }
          tape.reset();
          ps.zeroGrad();
          Ops ops = tape.ops();
          Tensor p = tape.ints(pos, b, t);
          Tensor x = ops.embedding(emb, tape.ints(ids, b, t));
          Tensor q = ops.rope(ops.linear(x, wq, null).view(b, t, hq, hd), p, 10000f);
          Tensor k = ops.rope(ops.linear(x, wk, null).view(b, t, hkv, hd), p, 10000f);
          Tensor v = ops.linear(x, wv, null).view(b, t, hkv, hd);
          Tensor a = ops.linear(ops.attention(q, k, v).view(b, t, hq * hd), wo, null);
          Tensor logits = ops.linear(ops.rmsnorm(ops.add(x, a), norm, 1e-6f), head, null);
          Tensor l = ops.crossEntropyMean(logits, tape.ints(targets, b, t), Ops.IGNORE_INDEX);
          tape.backward(l);
          GradClip.clipGlobalNorm(ps, 1.0);
          opt.step();
          if (step >= 280) lossTail += l.item() / 20;
        }
      }
    }
    assertTrue(
        lossTail < 0.1f, "mean loss over the last 20 steps " + lossTail + " (seed " + seed + ")");
  }
}
