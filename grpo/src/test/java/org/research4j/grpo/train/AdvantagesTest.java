package org.research4j.grpo.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.research4j.grpo.rollout.Rollout;

/** Group advantages, loss weights and the micro-batch layout, against hand-computed values. */
class AdvantagesTest {

  @Test
  void groupAdvantagesUseTheSampleStd() {
    // group 1: mean 0.5, sample std sqrt(0.5) = 0.70711; group 2 is flat; group 3: mean 0.4,
    // deviations 0.5, -0.4, -0.1, sample std sqrt((0.25 + 0.16 + 0.01) / 2) = sqrt(0.21)
    double[] r = {1, 0, 0.1, 0.1, 0.9, 0, 0.3};
    assertThrows(IllegalArgumentException.class, () -> Advantages.grouped(r, 2, true));
    double[] r2 = {1, 0, 0.1, 0.1};
    double s = Math.sqrt(0.5) + 1e-6;
    assertArrayEquals(
        new double[] {0.5 / s, -0.5 / s, 0, 0}, Advantages.grouped(r2, 2, true), 1e-12);
    assertArrayEquals(new double[] {0.5, -0.5, 0, 0}, Advantages.grouped(r2, 2, false), 1e-12);
    double[] r3 = {0.9, 0, 0.3};
    double s3 = Math.sqrt(0.21) + 1e-6;
    assertArrayEquals(
        new double[] {0.5 / s3, -0.4 / s3, -0.1 / s3}, Advantages.grouped(r3, 3, true), 1e-12);
    assertEquals(0.5, Advantages.flatGroups(r2, 2), 0);
  }

  @Test
  void lossWeightsNormaliseAsNamed() {
    // 2 sequences with 3 and 5 trained tokens, max completion length 10
    assertEquals(1.0 / 8, LossType.TOKEN_MEAN.weight(3, 8, 2, 10), 1e-15);
    assertEquals(1.0 / 6, LossType.SEQ_MEAN.weight(3, 8, 2, 10), 1e-15);
    assertEquals(1.0 / 10, LossType.SEQ_MEAN.weight(5, 8, 2, 10), 1e-15);
    assertEquals(1.0 / 20, LossType.DR_GRPO.weight(3, 8, 2, 10), 1e-15);
    assertEquals(LossType.TOKEN_MEAN, LossType.parse("bnpo"));
    assertEquals(LossType.SEQ_MEAN, LossType.parse("seq-mean"));
    assertEquals(LossType.DR_GRPO, LossType.parse("dr_grpo"));
    assertThrows(IllegalArgumentException.class, () -> LossType.parse("mean"));
  }

  @Test
  void policyBatchRowsPredictTheTrainedResponseTokens() {
    // prompt [5 6], response [7 8 9 10] with 8 and 9 inserted by the tool
    Rollout a =
        new Rollout(
            new int[] {5, 6},
            new int[] {7, 8, 9, 10},
            new boolean[] {true, false, false, true},
            "",
            true,
            1);
    Rollout b = new Rollout(new int[] {4}, new int[] {3}, new boolean[] {true}, "", true, 0);
    PolicyBatch p =
        PolicyBatch.of(List.of(a, b), new double[] {1.5, -2}, new double[] {0.25, 0.5}, 0);
    assertEquals(6, p.seqLen());
    assertArrayEquals(new int[] {5, 6, 7, 8, 9, 10, 4, 3, 0, 0, 0, 0}, p.ids());
    // token 7 is predicted at position 1, token 10 at position 4; sequence b's 3 at 6 + 0
    assertArrayEquals(new int[] {1, 4, 6}, p.rows());
    assertArrayEquals(new int[] {7, 10, 3}, p.targets());
    assertArrayEquals(new float[] {1.5f, 1.5f, -2f}, p.advantages());
    assertArrayEquals(new float[] {0.25f, 0.25f, 0.5f}, p.weights());
  }
}
