package org.research4j.transformer.generate;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * Draws the next token from one row of logits on the host, as Hugging Face's warpers do: divide by
 * the temperature, keep the top-k, keep the top-p nucleus, renormalise, draw by inverse CDF.
 * Temperature 0 is greedy. Probabilities are computed in double.
 */
public final class Sampler {
  private final SamplingConfig config;

  public Sampler(SamplingConfig config) {
    this.config = config;
  }

  /** The token drawn from {@code logits [vocab]}; {@code rnd} is not used when greedy. */
  public int sample(float[] logits, RandomGenerator rnd) {
    if (config.greedyDecoding()) return argmax(logits);
    double[] p = distribution(logits);
    double u = rnd.nextDouble();
    double cum = 0;
    int last = -1;
    for (int i = 0; i < p.length; i++) {
      if (p[i] == 0) continue;
      cum += p[i];
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
    double t = config.temperature();
    double floor = Double.NEGATIVE_INFINITY;
    if (config.topK() > 0 && config.topK() < v) floor = kthLargest(logits, config.topK());
    // Softmax over the kept tokens (logit >= floor; ties with the k-th are kept, as in HF).
    double max = Double.NEGATIVE_INFINITY;
    for (float x : logits) max = Math.max(max, x);
    double sum = 0;
    for (int i = 0; i < v; i++) {
      if (logits[i] >= floor) {
        p[i] = Math.exp((logits[i] - max) / t);
        sum += p[i];
      }
    }
    for (int i = 0; i < v; i++) p[i] /= sum;
    if (config.topP() < 1) keepNucleus(p, config.topP());
    return p;
  }

  /**
   * Zeroes every token outside the nucleus and renormalises. A token is kept while the mass of
   * the tokens strictly more likely than it is below {@code topP} (HF's TopPLogitsWarper), so the
   * most likely token always stays. Only the tokens above a probability threshold are sorted:
   * once those reach {@code topP} the nucleus lies among them.
   */
  private static void keepNucleus(double[] p, double topP) {
    double pmax = 0;
    for (double x : p) pmax = Math.max(pmax, x);
    double threshold = pmax;
    int[] candidates;
    while (true) {
      threshold /= 1024;
      double mass = 0;
      int n = 0;
      for (double x : p) {
        if (x >= threshold && x > 0) {
          mass += x;
          n++;
        }
      }
      if (mass >= topP || threshold == 0) {
        candidates = new int[n];
        n = 0;
        for (int i = 0; i < p.length; i++) if (p[i] >= threshold && p[i] > 0) candidates[n++] = i;
        break;
      }
    }
    Integer[] order = Arrays.stream(candidates).boxed().toArray(Integer[]::new);
    Arrays.sort(order, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
    boolean[] keep = new boolean[p.length];
    double above = 0;
    for (int i : order) {
      if (above >= topP) break;
      keep[i] = true;
      above += p[i];
    }
    double sum = 0;
    for (int i = 0; i < p.length; i++) {
      if (!keep[i]) p[i] = 0;
      sum += p[i];
    }
    for (int i = 0; i < p.length; i++) p[i] /= sum;
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
