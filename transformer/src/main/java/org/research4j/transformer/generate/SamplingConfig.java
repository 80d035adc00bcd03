package org.research4j.transformer.generate;

import java.util.List;
import java.util.Set;
import org.research4j.transformer.checkpoint.GenerationConfig;

/**
 * How the next token is chosen and when a sequence stops, Hugging Face's names and order: logits
 * divided by {@code temperature}, then top-k, then top-p (nucleus), then a draw.
 *
 * @param temperature 0 means greedy (the most likely token, ties to the lowest id); otherwise
 *     logits are divided by it
 * @param topP keep the smallest set of most likely tokens whose probability reaches {@code topP}; 1
 *     keeps all
 * @param topK keep the {@code topK} most likely tokens; 0 keeps all
 * @param seed seeds the per-sequence random generators, so that a run is reproducible and a
 *     sequence's draws do not depend on the others in its batch
 * @param stopStrings a sequence stops once the text generated since it started (or resumed)
 *     contains one of these, e.g. {@code "</search>"}
 * @param stopTokenIds a sequence stops after generating one of these (EOS)
 */
public record SamplingConfig(
    double temperature,
    double topP,
    int topK,
    long seed,
    List<String> stopStrings,
    Set<Integer> stopTokenIds) {

  public SamplingConfig {
    stopStrings = List.copyOf(stopStrings);
    stopTokenIds = Set.copyOf(stopTokenIds);
    if (!(temperature >= 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("temperature must be finite and >= 0, got " + temperature);
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("top_p must lie in (0, 1], got " + topP);
    }
    if (topK < 0) throw new IllegalArgumentException("top_k must be >= 0 (0 = off), got " + topK);
    for (String s : stopStrings) {
      if (s.isEmpty()) throw new IllegalArgumentException("a stop string may not be empty");
    }
  }

  /** Greedy decoding, no stop conditions. */
  public static SamplingConfig greedy() {
    return new SamplingConfig(0, 1, 0, 0, List.of(), Set.of());
  }

  /** Plain sampling at {@code temperature} (no top-k, no top-p), no stop conditions. */
  public static SamplingConfig sampling(double temperature, long seed) {
    return new SamplingConfig(temperature, 1, 0, seed, List.of(), Set.of());
  }

  /**
   * The defaults of a model's {@code generation_config.json}: its temperature, top_p and top_k when
   * {@code do_sample} is set (greedy otherwise), and its EOS ids as stop tokens. Its {@code
   * repetition_penalty} is not applied (this sampler has none; RL rollouts sample the plain
   * policy).
   */
  public static SamplingConfig of(GenerationConfig g, long seed) {
    double t = g.doSample() ? g.temperature() : 0;
    return new SamplingConfig(t, g.topP(), g.topK(), seed, List.of(), Set.copyOf(g.eosTokenIds()));
  }

  public boolean greedyDecoding() {
    return temperature == 0;
  }

  public SamplingConfig withTemperature(double t) {
    return new SamplingConfig(t, topP, topK, seed, stopStrings, stopTokenIds);
  }

  public SamplingConfig withTopP(double p) {
    return new SamplingConfig(temperature, p, topK, seed, stopStrings, stopTokenIds);
  }

  public SamplingConfig withTopK(int k) {
    return new SamplingConfig(temperature, topP, k, seed, stopStrings, stopTokenIds);
  }

  public SamplingConfig withSeed(long s) {
    return new SamplingConfig(temperature, topP, topK, s, stopStrings, stopTokenIds);
  }

  public SamplingConfig withStopStrings(List<String> strings) {
    return new SamplingConfig(temperature, topP, topK, seed, strings, stopTokenIds);
  }

  public SamplingConfig withStopTokenIds(Set<Integer> ids) {
    return new SamplingConfig(temperature, topP, topK, seed, stopStrings, ids);
  }
}
