package org.research4j.transformer.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The sampler's filtered distributions against exact double-precision references; the sampler
 * computes softmax weights in float, so probabilities agree to {@link #PROB_TOLERANCE} absolute.
 */
class SamplerTest {
  static final double PROB_TOLERANCE = 1e-6;

  @Test
  void nucleusOfAKnownDistribution() {
    // softmax(2, 1, 0, -1) = (0.6439, 0.2369, 0.0871, 0.0321): top_p 0.7 keeps the first two
    // (0.6439 < 0.7, then 0.8808 >= 0.7), renormalised to (0.7311, 0.2689).
    float[] logits = {1, 2, -1, 0};
    double[] p = new Sampler(SamplingConfig.sampling(1, 0).withTopP(0.7)).distribution(logits);
    assertArrayEquals(
        new double[] {0.2689414213699951, 0.7310585786300049, 0, 0}, p, PROB_TOLERANCE);
    // top_k 3 at temperature 0.5: softmax(2, 4, 0) over the kept three.
    p = new Sampler(SamplingConfig.sampling(0.5, 0).withTopK(3)).distribution(logits);
    double z = Math.exp(2) + Math.exp(4) + Math.exp(0);
    assertArrayEquals(new double[] {Math.exp(2) / z, Math.exp(4) / z, 0, 1 / z}, p, PROB_TOLERANCE);
  }

  /**
   * The filtered distribution against a plain reference that sorts everything, on random logits.
   */
  @Test
  void distributionMatchesSortingReference() {
    long seed = 31;
    Random r = new Random(seed);
    for (int trial = 0; trial < 200; trial++) {
      int v = 1 + r.nextInt(300);
      float[] logits = new float[v];
      for (int i = 0; i < v; i++) logits[i] = (float) (r.nextGaussian() * 3);
      double t = 0.2 + 2 * r.nextDouble();
      int k = r.nextInt(4) == 0 ? 0 : 1 + r.nextInt(v);
      double topP = r.nextInt(4) == 0 ? 1 : 0.05 + 0.95 * r.nextDouble();
      SamplingConfig c = SamplingConfig.sampling(t, 0).withTopK(k).withTopP(topP);
      assertArrayEquals(
          reference(logits, t, k, topP),
          new Sampler(c).distribution(logits),
          PROB_TOLERANCE,
          "seed " + seed + " trial " + trial + " " + c);
    }
  }

  static double[] reference(float[] logits, double t, int k, double topP) {
    int v = logits.length;
    Integer[] order = IntStream.range(0, v).boxed().toArray(Integer[]::new);
    Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -logits[i]).thenComparing(i -> i));
    boolean[] keep = new boolean[v];
    int kept = k == 0 ? v : Math.min(k, v);
    for (int j = 0; j < v; j++)
      keep[order[j]] = j < kept || logits[order[j]] == logits[order[kept - 1]];
    double max = logits[order[0]];
    double[] p = new double[v];
    double sum = 0;
    for (int i = 0; i < v; i++) if (keep[i]) sum += p[i] = Math.exp((logits[i] - max) / t);
    for (int i = 0; i < v; i++) p[i] /= sum;
    if (topP < 1) {
      double above = 0;
      boolean[] nucleus = new boolean[v];
      for (int i : order) {
        if (above >= topP) break;
        nucleus[i] = true;
        above += p[i];
      }
      sum = 0;
      for (int i = 0; i < v; i++) sum += p[i] = nucleus[i] ? p[i] : 0;
      for (int i = 0; i < v; i++) p[i] /= sum;
    }
    return p;
  }

  /** Draw frequencies agree with the distribution within 5 standard errors. */
  @Test
  void drawsFollowTheDistribution() {
    long seed = 77;
    float[] logits = {0.5f, -1f, 2f, 0f, 1f, -3f};
    Sampler s = new Sampler(SamplingConfig.sampling(1.3, 0).withTopK(5).withTopP(0.9));
    double[] p = s.distribution(logits);
    int n = 200_000;
    int[] counts = new int[logits.length];
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int i = 0; i < n; i++) counts[s.sample(logits, rnd)]++;
    for (int i = 0; i < p.length; i++) {
      double se = Math.sqrt(p[i] * (1 - p[i]) / n);
      assertEquals(
          p[i], counts[i] / (double) n, 5 * se + PROB_TOLERANCE, "token " + i + ", seed " + seed);
    }
  }

  @Test
  void greedyIsArgmaxWithTiesToTheLowestId() {
    Sampler g = new Sampler(SamplingConfig.greedy());
    assertEquals(2, g.sample(new float[] {0, 1, 3, 3, -1}, null));
    assertArrayEquals(new double[] {0, 0, 1, 0, 0}, g.distribution(new float[] {0, 1, 3, 3, -1}));
  }

  @Test
  void kthLargestMatchesSorting() {
    Random r = new Random(5);
    for (int trial = 0; trial < 100; trial++) {
      float[] x = new float[2 + r.nextInt(500)];
      for (int i = 0; i < x.length; i++) x[i] = r.nextInt(50) - 25; // many ties
      int k = 1 + r.nextInt(x.length - 1);
      float[] sorted = x.clone();
      Arrays.sort(sorted);
      assertEquals(sorted[x.length - k], Sampler.kthLargest(x, k), "trial " + trial);
    }
  }

  @Test
  void configRejectsNonsense() {
    assertThrows(IllegalArgumentException.class, () -> SamplingConfig.sampling(-1, 0));
    assertThrows(IllegalArgumentException.class, () -> SamplingConfig.greedy().withTopP(0));
    assertThrows(
        IllegalArgumentException.class, () -> SamplingConfig.greedy().withStopStrings(List.of("")));
  }
}
