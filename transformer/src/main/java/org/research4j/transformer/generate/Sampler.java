package org.research4j.transformer.generate;

import java.util.Arrays;
import java.util.random.RandomGenerator;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Draws the next token from one row of logits on the host, as Hugging Face's warpers do: divide by
 * the temperature, keep the top-k, keep the top-p nucleus, renormalise, draw by inverse CDF.
 * Temperature 0 is greedy.
 *
 * <p>The softmax weights are computed with the Vector API in float (relative error about 1e-7, sums
 * in double): a Qwen vocabulary has 151,936 entries and a rollout draws for every sequence of a
 * batch at every step, so the host must not become the bottleneck. Not thread-safe: it keeps one
 * scratch row.
 */
public final class Sampler {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

  /** Lanes are summed in float over this many elements, then added into a double. */
  private static final int SUM_BLOCK = 1024;

  private final SamplingConfig config;
  private float[] weights = new float[0];

  public Sampler(SamplingConfig config) {
    this.config = config;
  }

  /** The token drawn from {@code logits [vocab]}; {@code rnd} is not used when greedy. */
  public int sample(float[] logits, RandomGenerator rnd) {
    if (config.greedyDecoding()) return argmax(logits);
    float[] w = scratch(logits.length);
    double sum = weights(logits, w);
    double u = rnd.nextDouble() * sum;
    double cum = 0;
    int last = -1;
    for (int i = 0; i < w.length; i++) {
      if (w[i] == 0) continue;
      cum += w[i];
      last = i;
      if (u < cum) return i;
    }
    return last; // u landed in the rounding slack above the final cumulative sum
  }

  /**
   * The probability of every token after temperature, top-k and top-p (zero for filtered tokens,
   * the rest summing to 1). Greedy gives a one-hot distribution on the argmax.
   */
  public double[] distribution(float[] logits) {
    int v = logits.length;
    double[] p = new double[v];
    if (config.greedyDecoding()) {
      p[argmax(logits)] = 1;
      return p;
    }
    float[] w = scratch(v);
    double sum = weights(logits, w);
    for (int i = 0; i < v; i++) p[i] = w[i] / sum;
    return p;
  }

  /** Unnormalised probabilities after every filter into {@code w}; returns their sum. */
  private double weights(float[] logits, float[] w) {
    double sum = softmaxWeights(logits, w);
    return config.topP() < 1 ? keepNucleus(w, sum, config.topP()) : sum;
  }

  /**
   * {@code w[i] = exp((logits[i] - max) / temperature)} for the tokens top-k keeps (logit at least
   * the k-th largest; ties with it are kept, as in HF) and 0 for the others; returns the sum.
   */
  private double softmaxWeights(float[] logits, float[] w) {
    int v = logits.length;
    float floor = Float.NEGATIVE_INFINITY;
    if (config.topK() > 0 && config.topK() < v) floor = kthLargest(logits, config.topK());
    float max = max(logits);
    FloatVector vmax = FloatVector.broadcast(F, max);
    FloatVector vinv = FloatVector.broadcast(F, (float) (1 / config.temperature()));
    FloatVector vfloor = FloatVector.broadcast(F, floor);
    int bound = F.loopBound(v);
    double sum = 0;
    int i = 0;
    while (i < bound) {
      FloatVector acc = FloatVector.zero(F);
      for (int end = Math.min(bound, i + SUM_BLOCK); i < end; i += F.length()) {
        FloatVector x = FloatVector.fromArray(F, logits, i);
        FloatVector e = x.sub(vmax).mul(vinv).lanewise(VectorOperators.EXP);
        e = e.blend(0f, x.compare(VectorOperators.LT, vfloor));
        e.intoArray(w, i);
        acc = acc.add(e);
      }
      sum += acc.reduceLanes(VectorOperators.ADD);
    }
    float inv = (float) (1 / config.temperature());
    for (; i < v; i++) {
      w[i] = logits[i] < floor ? 0f : (float) Math.exp((logits[i] - max) * inv);
      sum += w[i];
    }
    return sum;
  }

  private float[] scratch(int n) {
    if (weights.length != n) weights = new float[n];
    return weights;
  }

  private static float max(float[] x) {
    int bound = F.loopBound(x.length);
    FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
    int i = 0;
    for (; i < bound; i += F.length()) m = m.max(FloatVector.fromArray(F, x, i));
    float max = m.reduceLanes(VectorOperators.MAX);
    for (; i < x.length; i++) max = Math.max(max, x[i]);
    return max;
  }

  /**
   * Zeroes every token outside the nucleus and returns the new sum. A token is kept while the mass
   * of the tokens strictly more likely than it is below {@code topP} (HF's TopPLogitsWarper), so
   * the most likely token always stays. Only the tokens above a weight threshold are sorted: once
   * those reach {@code topP} of the mass the nucleus lies among them.
   */
  private static double keepNucleus(float[] w, double sum, double topP) {
    double target = topP * sum;
    float threshold = max(w);
    int[] candidates;
    while (true) {
      threshold /= 1024;
      double mass = 0;
      int n = 0;
      for (float x : w) {
        if (x >= threshold && x > 0) {
          mass += x;
          n++;
        }
      }
      if (mass >= target || threshold == 0) {
        candidates = new int[n];
        n = 0;
        for (int i = 0; i < w.length; i++) if (w[i] >= threshold && w[i] > 0) candidates[n++] = i;
        break;
      }
    }
    Integer[] order = Arrays.stream(candidates).boxed().toArray(Integer[]::new);
    Arrays.sort(order, (a, b) -> w[a] != w[b] ? Float.compare(w[b], w[a]) : Integer.compare(a, b));
    boolean[] keep = new boolean[w.length];
    double above = 0;
    for (int i : order) {
      if (above >= target) break;
      keep[i] = true;
      above += w[i];
    }
    for (int i = 0; i < w.length; i++) if (!keep[i]) w[i] = 0;
    return above;
  }

  /** The index of the largest logit, the lowest index among ties. */
  static int argmax(float[] logits) {
    int best = 0;
    for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }

  /** The {@code k}-th largest value ({@code 1 <= k < length}), with a size-k min-heap. */
  static float kthLargest(float[] x, int k) {
    float[] heap = new float[k];
    int size = 0;
    for (float v : x) {
      if (size < k) {
        heap[size] = v;
        siftUp(heap, size++);
      } else if (v > heap[0]) {
        heap[0] = v;
        siftDown(heap, k);
      }
    }
    return heap[0];
  }

  private static void siftUp(float[] h, int i) {
    while (i > 0) {
      int parent = (i - 1) / 2;
      if (h[parent] <= h[i]) return;
      float tmp = h[parent];
      h[parent] = h[i];
      h[i] = tmp;
      i = parent;
    }
  }

  private static void siftDown(float[] h, int size) {
    int i = 0;
    while (true) {
      int l = 2 * i + 1;
      if (l >= size) return;
      int c = l + 1 < size && h[l + 1] < h[l] ? l + 1 : l;
      if (h[i] <= h[c]) return;
      float tmp = h[c];
      h[c] = h[i];
      h[i] = tmp;
      i = c;
    }
  }
}
