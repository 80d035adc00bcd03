package org.research4j.grpo.train;

/**
 * Group-relative advantages (GRPO): each response is compared with the other responses to the same
 * question, so no value model is needed. A group whose rewards are all equal teaches nothing and
 * gets advantage 0 everywhere.
 */
public final class Advantages {
  /** Added to the standard deviation, as in the paper's recipe, so equal rewards divide safely. */
  public static final double EPS = 1e-6;

  private Advantages() {}

  /**
   * {@code rewards} holds consecutive groups of {@code groupSize}. Each advantage is {@code r −
   * mean} of its group, divided by {@code std + 1e-6} when {@code scale} (TRL's {@code
   * scale_rewards}). The standard deviation is the sample one (n − 1), as {@code torch.std} in TRL
   * and verl; a group of one has none and gets advantage 0.
   */
  public static double[] grouped(double[] rewards, int groupSize, boolean scale) {
    if (groupSize < 1 || rewards.length % groupSize != 0) {
      throw new IllegalArgumentException(
          "advantages: " + rewards.length + " rewards do not split into groups of " + groupSize);
    }
    double[] out = new double[rewards.length];
    for (int g = 0; g < rewards.length; g += groupSize) {
      double mean = 0;
      for (int i = g; i < g + groupSize; i++) mean += rewards[i];
      mean /= groupSize;
      double ss = 0;
      for (int i = g; i < g + groupSize; i++) ss += (rewards[i] - mean) * (rewards[i] - mean);
      double std = groupSize > 1 ? Math.sqrt(ss / (groupSize - 1)) : 0;
      for (int i = g; i < g + groupSize; i++) {
        double centred = groupSize > 1 ? rewards[i] - mean : 0;
        out[i] = scale ? centred / (std + EPS) : centred;
      }
    }
    return out;
  }

  /** The fraction of groups whose rewards are all equal (no learning signal from them). */
  public static double flatGroups(double[] rewards, int groupSize) {
    int flat = 0;
    int groups = rewards.length / groupSize;
    for (int g = 0; g < rewards.length; g += groupSize) {
      boolean same = true;
      for (int i = g + 1; i < g + groupSize; i++) same &= rewards[i] == rewards[g];
      flat += same ? 1 : 0;
    }
    return groups == 0 ? 0 : (double) flat / groups;
  }
}
