/**
 * Batched text generation with a KV cache: a {@link org.research4j.transformer.generate.Generator}
 * opens a {@link org.research4j.transformer.generate.Session} over prompts of different lengths,
 * which decodes all running sequences together, draws tokens on the host ({@link
 * org.research4j.transformer.generate.Sampler}: temperature, top-k, top-p, seeded per sequence),
 * stops each sequence on its own (stop strings such as {@code "</search>"}, EOS, length), and lets
 * a tool's result be appended to a stopped sequence before it resumes: what the ReSearch rollout
 * needs.
 */
package org.research4j.transformer.generate;
