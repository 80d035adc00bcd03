package org.research4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.research4j.tensor.Fixtures.CPU;
import static org.research4j.tensor.Fixtures.assertClose;
import static org.research4j.tensor.Fixtures.gaussian;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** AdamW and global-norm clipping against PyTorch: a recording and a hand-written reference. */
class AdamWTest {

  /** The gradient the recording feeds parameter {@code W} (index {@code i}) at step {@code t}. */
  private static float gradW(int i, int t) {
    return (float) (Math.cos(1.3 * i + 0.5 * t) * (1 + 0.1 * t));
  }

  private static float gradB(int i, int t) {
    return (float) Math.sin(0.9 * i - 0.2 * t);
  }

  /**
   * Five steps of {@code torch.optim.AdamW(lr=0.05, betas=(0.9, 0.95), eps=1e-8)}, weight decay 0.1
   * on the matrix and 0 on the bias, each step after {@code clip_grad_norm_(max_norm=1.0)}; values
   * from {@code src/test/resources/adamw_torch_recording.py} (torch 1.13, float32). Tolerance 2e-6
   * absolute: float32 rounding over five steps of parameters of size ~1.
   */
  @Test
  void matchesPyTorchRecording() {
    double[] torchNorms = {
      3.0016160011291504,
      3.2375714778900146,
      3.4874043464660645,
      3.739194869995117,
      3.978605031967163
    };
    double[] torchW = {
      -7.816202007e-03, 6.447628736e-01, 6.994495988e-01, 2.899912894e-01, -2.202828526e-01,
      -4.087019265e-01, -2.349763662e-01, -2.345063835e-01, -2.837972939e-01, -8.212001622e-02,
      3.564437926e-01, 7.262907624e-01
    };
    double[] torchB = {3.434609473e-01, -1.647344530e-01, -2.882805765e-01, -3.491192460e-01};
    float[] w0 = new float[12], b0 = new float[4];
    for (int i = 0; i < 12; i++) w0[i] = (float) (0.5 * Math.sin(0.7 * i + 0.3));
    for (int i = 0; i < 4; i++) b0[i] = (float) (0.1 * Math.cos(i));
    for (boolean folded : new boolean[] {false, true}) {
      try (Parameters params = new Parameters()) {
        Parameter w = params.add(Parameter.of(CPU, "W", w0, 3, 4));
        Parameter b = params.add(Parameter.of(CPU, "b", b0, 4));
        try (AdamW opt = new AdamW(params, new AdamW.Config(0.05f, 0.9f, 0.95f, 1e-8f, 0.1f))) {
          assertTrue(opt.decays(w));
          assertFalse(opt.decays(b));
          for (int t = 1; t <= 5; t++) {
            float[] gw = new float[12], gb = new float[4];
            for (int i = 0; i < 12; i++) gw[i] = gradW(i, t);
            for (int i = 0; i < 4; i++) gb[i] = gradB(i, t);
            CPU.upload(gw, 0, w.gradBuf(), 0, 12);
            CPU.upload(gb, 0, b.gradBuf(), 0, 4);
            double norm;
            if (folded) {
              norm = GradClip.globalNorm(params);
              opt.step(0.05f, GradClip.coefficient(norm, 1.0));
            } else {
              norm = GradClip.clipGlobalNorm(params, 1.0);
              opt.step();
            }
            assertEquals(torchNorms[t - 1], norm, 1e-5 * torchNorms[t - 1], "norm at step " + t);
          }
          assertEquals(5, opt.stepCount());
          String how = folded ? " (clip folded into gradScale)" : " (clip in place)";
          assertClose("W after 5 steps" + how, torchW, w.toFloatArray(), 0, 2e-6, 0);
          assertClose("b after 5 steps" + how, torchB, b.toFloatArray(), 0, 2e-6, 0);
        }
      }
    }
  }

  /**
   * Twelve steps on random gradients against torch.optim.AdamW's algorithm written out in double
   * (decoupled decay {@code p *= 1 - lr*wd} first, then the bias-corrected Adam update), with a
   * learning-rate change halfway. Tolerance 1e-5 relative plus 1e-6 absolute.
   */
  @Test
  void matchesHandWrittenReference() {
    long seed = 31;
    Random rnd = new Random(seed);
    int n = 50;
    float beta1 = 0.8f, beta2 = 0.99f, eps = 1e-6f, wd = 0.05f;
    float[] p0 = gaussian(rnd, n, 1);
    double[] p = Fixtures.toDouble(p0), m = new double[n], v = new double[n];
    try (Parameter param = Parameter.of(CPU, "w", p0, 5, 10);
        AdamW opt = new AdamW(List.of(param), new AdamW.Config(1e-2f, beta1, beta2, eps, wd))) {
      for (int t = 1; t <= 12; t++) {
        float lr = t <= 6 ? 1e-2f : 3e-3f;
        float[] g = gaussian(rnd, n, t % 3 == 0 ? 10 : 0.1);
        CPU.upload(g, 0, param.gradBuf(), 0, n);
        opt.step(lr, 1f);
        for (int i = 0; i < n; i++) {
          p[i] *= 1 - (double) lr * wd;
          m[i] = beta1 * m[i] + (1 - beta1) * (double) g[i];
          v[i] = beta2 * v[i] + (1 - beta2) * (double) g[i] * g[i];
          double mHat = m[i] / (1 - Math.pow(beta1, t));
          double vHat = v[i] / (1 - Math.pow(beta2, t));
          p[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
        }
        assertClose("AdamW step " + t, p, param.toFloatArray(), 1e-5, 1e-6, seed);
      }
    }
  }

  /**
   * A run stopped after 4 steps and continued from {@link AdamW#moments()} in a fresh optimiser
   * ends bit-identical to the same 8 steps without the stop (what resuming a killed run relies on).
   */
  @Test
  void restoredStateContinuesExactly() {
    long seed = 33;
    Random rnd = new Random(seed);
    float[] p0 = gaussian(rnd, 12, 1);
    float[][] grads = new float[8][];
    for (int t = 0; t < 8; t++) grads[t] = gaussian(rnd, 12, 1);
    AdamW.Config cfg = new AdamW.Config(1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f);
    float[] straight;
    try (Parameter w = Parameter.of(CPU, "w", p0, 3, 4);
        AdamW opt = new AdamW(List.of(w), cfg)) {
      for (float[] g : grads) {
        CPU.upload(g, 0, w.gradBuf(), 0, 12);
        opt.step();
      }
      straight = w.toFloatArray();
    }
    Map<String, float[]> state;
    float[] half;
    try (Parameter w = Parameter.of(CPU, "w", p0, 3, 4);
        AdamW opt = new AdamW(List.of(w), cfg)) {
      for (int t = 0; t < 4; t++) {
        CPU.upload(grads[t], 0, w.gradBuf(), 0, 12);
        opt.step();
      }
      state = opt.moments();
      half = w.toFloatArray();
    }
    try (Parameter w = Parameter.of(CPU, "w", half, 3, 4);
        AdamW opt = new AdamW(List.of(w), cfg)) {
      opt.restore(state, 4);
      for (int t = 4; t < 8; t++) {
        CPU.upload(grads[t], 0, w.gradBuf(), 0, 12);
        opt.step();
      }
      assertEquals(8, opt.stepCount());
      assertArrayEquals(straight, w.toFloatArray(), 0f);
      state.remove("v.w");
      var e = assertThrows(IllegalArgumentException.class, () -> opt.restore(state, 4));
      assertEquals("AdamW state has no v.w", e.getMessage());
    }
  }

  /**
   * The streamed form a checkpoint uses: one moment at a time equals the map form, sizes are
   * checked for every moment before any is read (a wrong size reads nothing and changes nothing),
   * and an unknown name is refused by name.
   */
  @Test
  void streamedMomentsMatchTheMapAndSizesAreCheckedFirst() {
    Random rnd = new Random(34);
    AdamW.Config cfg = new AdamW.Config(1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f);
    try (Parameter a = Parameter.of(CPU, "a", gaussian(rnd, 6, 1), 2, 3);
        Parameter b = Parameter.of(CPU, "b", gaussian(rnd, 4, 1), 4);
        AdamW opt = new AdamW(List.of(a, b), cfg)) {
      CPU.upload(gaussian(rnd, 6, 1), 0, a.gradBuf(), 0, 6);
      CPU.upload(gaussian(rnd, 4, 1), 0, b.gradBuf(), 0, 4);
      opt.step();
      Map<String, float[]> all = opt.moments();
      assertEquals(List.of("m.a", "v.a", "m.b", "v.b"), opt.momentNames());
      for (String n : opt.momentNames()) {
        assertArrayEquals(all.get(n), opt.moment(n), 0f, n);
        assertEquals(all.get(n).length, opt.momentSize(n), n);
      }
      var unknown = assertThrows(IllegalArgumentException.class, () -> opt.moment("m.c"));
      assertEquals("AdamW has no moment m.c (names are m.PARAM and v.PARAM)", unknown.getMessage());

      int[] reads = {0};
      var e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  opt.restore(
                      n -> n.equals("v.b") ? 5 : all.get(n).length,
                      n -> {
                        reads[0]++;
                        return new float[all.get(n).length];
                      },
                      1));
      assertEquals("AdamW state v.b has 5 values, parameter has 4", e.getMessage());
      assertEquals(0, reads[0], "nothing read before every size is checked");
      for (String n : opt.momentNames()) assertArrayEquals(all.get(n), opt.moment(n), 0f, n);

      opt.restore(
          n -> all.get(n).length,
          n -> {
            reads[0]++;
            return all.get(n);
          },
          1);
      assertEquals(4, reads[0], "each moment read once");
    }
  }

  @Test
  void clipFollowsTheFormulaAndLeavesSmallGradientsAlone() {
    long seed = 32;
    Random rnd = new Random(seed);
    try (Parameter a = Parameter.zeros(CPU, "a", 7, 3);
        Parameter b = Parameter.zeros(CPU, "b", 5)) {
      float[] ga = gaussian(rnd, 21, 1), gb = gaussian(rnd, 5, 1);
      double ss = 0;
      for (float g : ga) ss += (double) g * g;
      for (float g : gb) ss += (double) g * g;
      double norm = Math.sqrt(ss);
      for (double max : new double[] {0.5, 2 * norm}) {
        CPU.upload(ga, 0, a.gradBuf(), 0, 21);
        CPU.upload(gb, 0, b.gradBuf(), 0, 5);
        double got = GradClip.clipGlobalNorm(List.of(a, b), max);
        assertEquals(norm, got, 1e-6 * norm, "pre-clip norm (seed " + seed + ")");
        double coef = Math.min(1, max / (norm + 1e-6));
        double[] ea = new double[21], eb = new double[5];
        for (int i = 0; i < 21; i++) ea[i] = ga[i] * coef;
        for (int i = 0; i < 5; i++) eb[i] = gb[i] * coef;
        assertClose("clipped a, max " + max, ea, a.gradToFloatArray(), 1e-6, 0, seed);
        assertClose("clipped b, max " + max, eb, b.gradToFloatArray(), 1e-6, 0, seed);
        assertEquals(coef, GradClip.coefficient(norm, max), 1e-7);
      }
      assertTrue(Float.isNaN(GradClip.coefficient(Double.NaN, 1.0)), "NaN norm gives NaN scale");
    }
  }
}
