package org.research4j.grpo.report;

/**
 * One key of {@code metrics.jsonl} over the run: its finite values with the steps they were logged
 * at (in step order), and how many values were not finite.
 *
 * @param steps the step of each value, ascending
 * @param values the finite values
 * @param nonFinite how many lines held NaN or an infinity for this key (left out of {@code values})
 * @param firstNonFiniteStep the step of the first of those, NaN when there were none
 */
public record MetricSeries(
    String key, double[] steps, double[] values, int nonFinite, double firstNonFiniteStep) {
  /**
   * Below this many points a moving average is not shorter than the series; see {@link
   * #defaultWindow}.
   */
  public static final int MIN_WINDOW = 5;

  /** A twentieth of a long run is still a few hundred steps; more would hide real changes. */
  static final int MAX_WINDOW = 50;

  /**
   * {@link #isNoisy} threshold on mean |second difference| / mean |first difference|. Independent
   * noise gives about √3 (the second difference of white noise has √3 times the spread of the
   * first); a smooth curve sampled densely gives nearly 0 (a linear warm-up exactly 0, a cosine
   * decay over n steps of order 1/n). A noisy metric with a steep trend can fall below it, and then
   * the trend is what one sees anyway.
   */
  static final double NOISE_RATIO = 0.5;

  public MetricSeries {
    if (steps.length != values.length) {
      throw new IllegalArgumentException(
          key + ": " + steps.length + " steps for " + values.length + " values");
    }
  }

  public int size() {
    return values.length;
  }

  /** Whether every finite value is the same (also true with none): nothing to chart. */
  public boolean isConstant() {
    for (double v : values) {
      if (v != values[0]) return false;
    }
    return true;
  }

  /**
   * Whether the series is logged on fewer than half of the run's steps (evaluations every N steps):
   * drawn as points, without a moving average, which over sparse points would mix distant steps.
   */
  public boolean isSparse(int runSteps) {
    return 2 * (values.length + nonFinite) < runSteps;
  }

  /**
   * Whether the step-to-step changes themselves jump around, as a mean over one batch does, rather
   * than follow a curve, as a learning-rate schedule does (see {@link #NOISE_RATIO}).
   */
  public boolean isNoisy() {
    int n = values.length;
    if (n < 3) return false;
    double first = 0;
    double second = 0;
    for (int i = 1; i < n; i++) {
      first += Math.abs(values[i] - values[i - 1]);
      if (i >= 2) second += Math.abs(values[i] - 2 * values[i - 1] + values[i - 2]);
    }
    return second / (n - 2) > NOISE_RATIO * first / (n - 1);
  }

  /** A twentieth of the points, clamped to [{@value #MIN_WINDOW}, {@value #MAX_WINDOW}]. */
  public static int defaultWindow(int points) {
    return Math.max(MIN_WINDOW, Math.min(MAX_WINDOW, points / 20));
  }

  /**
   * The trailing moving average: point {@code i} is the mean of values {@code i-window+1 .. i} (of
   * values {@code 0 .. i} for the first {@code window-1} points, so the curve starts at the first
   * value instead of being shorter than the series). Trailing rather than centred so that its last
   * point uses only what the run has logged so far: the number to compare between runs.
   */
  public double[] movingAverage(int window) {
    if (window < 1)
      throw new IllegalArgumentException("moving-average window must be at least 1, got " + window);
    double[] avg = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      int from = Math.max(0, i - window + 1);
      double sum = 0;
      for (int j = from; j <= i; j++) sum += values[j];
      avg[i] = sum / (i - from + 1);
    }
    return avg;
  }

  /**
   * First, last, extremes (with the step each was first reached at) and the last moving average.
   */
  public Summary summary(int window) {
    if (values.length == 0)
      throw new IllegalStateException(key + " has no finite value to summarise");
    int argMin = 0;
    int argMax = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] < values[argMin]) argMin = i;
      if (values[i] > values[argMax]) argMax = i;
    }
    double[] avg = movingAverage(window);
    return new Summary(
        values[0],
        values[values.length - 1],
        avg[avg.length - 1],
        window,
        values[argMin],
        steps[argMin],
        values[argMax],
        steps[argMax]);
  }

  /** What the report's table says about one metric. */
  public record Summary(
      double first,
      double last,
      double lastAverage,
      int window,
      double min,
      double minStep,
      double max,
      double maxStep) {}
}
