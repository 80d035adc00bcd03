package org.research4j.transformer.generate;

import java.util.List;
import java.util.function.Function;
import org.research4j.transformer.model.Qwen2Model;

/**
 * Batched generation with a KV cache: {@link #start} opens a {@link Session} over a batch of
 * prompts, which then decodes all its running sequences one token per step.
 *
 * <pre>{@code
 * Generator gen = new Generator(model, tokenizer::decode);
 * try (Session s = gen.start(prompts, sampling.withStopStrings(List.of("</search>")), 2048)) {
 *   for (Stop stop : s.run(512)) { ... s.append(stop.sequence(), resultTokens); s.resume(...); }
 * }
 * }</pre>
 *
 * The generator reads text only through {@code detokenize} (token ids to text), to find stop
 * strings, so it works with any tokenizer.
 */
public final class Generator {
  /** Default for the most tokens of one sequence fed in one forward (prompts, appended results). */
  public static final int DEFAULT_CHUNK = 128;

  private final Qwen2Model model;
  private final Function<int[], String> detokenize;
  private final int chunk;

  /** A generator over {@code model}; {@code detokenize} turns token ids into text. */
  public Generator(Qwen2Model model, Function<int[], String> detokenize) {
    this(model, detokenize, DEFAULT_CHUNK);
  }

  /**
   * As {@link #Generator(Qwen2Model, Function)}, feeding at most {@code chunk} tokens of a sequence
   * per forward: longer prompts and appends are fed over several steps. The KV cache holds {@code
   * chunk} positions per sequence beyond the capacity, where the padding of shorter sequences in a
   * step lands.
   */
  public Generator(Qwen2Model model, Function<int[], String> detokenize, int chunk) {
    if (chunk <= 0) throw new IllegalArgumentException("chunk must be positive, got " + chunk);
    this.model = model;
    this.detokenize = detokenize;
    this.chunk = chunk;
  }

  /**
   * Opens a session over {@code prompts} (each non-empty); every sequence may grow to {@code
   * capacity} tokens in all (prompt, generated and appended). Nothing runs until the first step.
   */
  public Session start(List<int[]> prompts, SamplingConfig sampling, int capacity) {
    return new Session(model, detokenize, chunk, prompts, sampling, capacity);
  }

  /**
   * As {@link #start(List, SamplingConfig, int)} with one sampling config per prompt: requests of
   * different clients (temperature, top-p, seed, stop conditions) share one batch. Each sequence
   * draws from a generator seeded by its own config's seed.
   */
  public Session start(List<int[]> prompts, List<SamplingConfig> sampling, int capacity) {
    return new Session(model, detokenize, chunk, prompts, null, List.copyOf(sampling), capacity);
  }
}
