package org.research4j.grpo.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.search.flashrag.QaExample;

/**
 * The pass@k estimator against its definition (every k-subset of the n responses enumerated), the
 * curve's k, and the counting of correct responses at the F1 0.5 threshold.
 */
class PassAtKTest {
  private static final double EXACT = 1e-12;

  /** The share of k-subsets of n responses, the first c correct, that hold a correct one. */
  private static double bruteForce(int n, int c, int k) {
    long hit = 0, all = 0;
    for (int mask = 0; mask < 1 << n; mask++) {
      if (Integer.bitCount(mask) != k) continue;
      all++;
      if ((mask & ((1 << c) - 1)) != 0) hit++;
    }
    return (double) hit / all;
  }

  @Test
  void estimatorEqualsEnumeratingEverySubset() {
    for (int n = 1; n <= 12; n++) {
      for (int c = 0; c <= n; c++) {
        for (int k = 1; k <= n; k++) {
          assertEquals(
              bruteForce(n, c, k),
              PassAtK.estimate(n, c, k),
              EXACT,
              "n=" + n + " c=" + c + " k=" + k);
        }
      }
    }
  }

  @Test
  void estimatorIsStableWhereTheBinomialsOverflowADouble() {
    int n = 1200, c = 7, k = 256;
    // C(1200, 256) is about 1e270 and C(1193, 256) / C(1200, 256) needs exact arithmetic to check.
    BigDecimal ratio =
        new BigDecimal(binomial(n - c, k))
            .divide(new BigDecimal(binomial(n, k)), MathContext.DECIMAL128);
    assertEquals(1 - ratio.doubleValue(), PassAtK.estimate(n, c, k), EXACT);
  }

  private static BigInteger binomial(int n, int k) {
    BigInteger b = BigInteger.ONE;
    for (int i = 0; i < k; i++)
      b = b.multiply(BigInteger.valueOf(n - i)).divide(BigInteger.valueOf(i + 1));
    return b;
  }

  @Test
  void edgeCases() {
    for (int k : PassAtK.ks(32)) {
      assertEquals(0.0, PassAtK.estimate(32, 0, k), "none correct, k=" + k);
      assertEquals(1.0, PassAtK.estimate(32, 32, k), "all correct, k=" + k);
    }
    assertEquals(1.0, PassAtK.estimate(32, 1, 32), "k = n holds the one correct response");
    assertEquals(0.25, PassAtK.estimate(32, 8, 1), EXACT, "pass@1 is c/n");
    assertEquals(1.0, PassAtK.estimate(32, 31, 2), "n - c < k: every pair holds a correct one");
  }

  @Test
  void kIsThePowersOfTwoUpToNThenN() {
    assertEquals(List.of(1), PassAtK.ks(1));
    assertEquals(List.of(1, 2, 4, 8, 16, 32), PassAtK.ks(32));
    assertEquals(List.of(1, 2, 4, 8, 16, 32, 48), PassAtK.ks(48));
  }

  @Test
  void invalidInputIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> PassAtK.ks(0));
    assertThrows(IllegalArgumentException.class, () -> PassAtK.estimate(0, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> PassAtK.estimate(4, -1, 1));
    assertThrows(IllegalArgumentException.class, () -> PassAtK.estimate(4, 5, 1));
    assertThrows(IllegalArgumentException.class, () -> PassAtK.estimate(4, 2, 0));
    assertThrows(IllegalArgumentException.class, () -> PassAtK.estimate(4, 2, 5));
    assertThrows(IllegalArgumentException.class, () -> PassAtK.Result.of(4, List.of()));
    assertThrows(
        IllegalArgumentException.class,
        () -> PassAtK.Result.of(4, List.of(new PassAtK.Count("q", 5))));
    ResponseSampler never =
        (q, n) -> {
          throw new AssertionError("sampled");
        };
    assertThrows(
        IllegalArgumentException.class,
        () -> PassAtK.sample(never, List.of(question("q", "x")), 0, done -> {}));
    assertThrows(
        IllegalArgumentException.class, () -> PassAtK.sample(never, List.of(), 4, done -> {}));
    ResponseSampler short1 = (q, n) -> List.of(rollout("<answer>\\boxed{x}</answer>"));
    assertThrows(
        IllegalStateException.class,
        () -> PassAtK.sample(short1, List.of(question("q", "x")), 4, done -> {}));
  }

  static QaExample question(String id, String golden) {
    return new QaExample(id, "question " + id + "?", List.of(golden), Map.of());
  }

  static Rollout rollout(String text) {
    return new Rollout(new int[0], new int[0], new boolean[0], text, true, 1);
  }

  @Test
  void countsResponsesFromF1HalfOnAndAveragesTheCurve() {
    // Golden "Varemo": "Varemo x y" has precision 1/3, recall 1, F1 exactly 0.5 (correct);
    // "Varemo x y z" F1 0.4 (wrong); a malformed response is read leniently.
    Map<String, List<String>> texts =
        Map.of(
            "a",
                List.of(
                    "<answer>\\boxed{Varemo x y}</answer>",
                    "<answer>\\boxed{Varemo x y z}</answer>",
                    "<think>so</think>",
                    "the answer is Varemo."),
            "b",
                List.of(
                    "<answer>\\boxed{Dask}</answer>",
                    "<answer>\\boxed{Dask}</answer>",
                    "<answer>\\boxed{Dask}</answer>",
                    "<answer>\\boxed{Dask}</answer>"),
            "c", List.of("no", "no", "no", "no"));
    List<QaExample> questions =
        List.of(question("a", "Varemo"), question("b", "Dask"), question("c", "Oru"));
    List<Integer> progress = new ArrayList<>();
    PassAtK.Result r =
        PassAtK.sample(
            (q, n) -> texts.get(q.id()).stream().map(PassAtKTest::rollout).toList(),
            questions,
            4,
            progress::add);
    assertEquals(
        List.of(new PassAtK.Count("a", 2), new PassAtK.Count("b", 4), new PassAtK.Count("c", 0)),
        r.counts());
    assertEquals(List.of(1, 2, 3), progress);
    assertEquals(List.of(1, 2, 4), List.copyOf(r.curve().keySet()));
    // a: pass@1 = 2/4, pass@2 = 1 - C(2,2)/C(4,2) = 5/6, pass@4 = 1; b: 1; c: 0.
    assertEquals((0.5 + 1) / 3, r.curve().get(1), EXACT);
    assertEquals((5.0 / 6 + 1) / 3, r.curve().get(2), EXACT);
    assertEquals(2.0 / 3, r.curve().get(4), EXACT);
  }
}
