/**
 * The generated world: a seeded, deterministic encyclopedia of invented countries, cities,
 * companies and people with dated facts, written as articles in several phrasings and chunked into
 * FlashRAG passages, plus questions over it (the five MuSiQue-like {@link
 * org.research4j.search.world.QuestionType}s: one-hop, two-hop bridge, two-hop temporal,
 * comparison, three-hop) with golden answers, aliases and the ids of the passages that support each
 * hop. With {@code WorldConfig.arithmetic} on (off by default, and off the files are byte for byte
 * those without it), three more types need arithmetic over retrieved facts: {@code years_between},
 * {@code age_at_event} and {@code year_sum}; their hops say which are searches ({@code "tool":
 * "search"}) and which the computation ({@code "tool": "code"}, with the {@code program} that gives
 * the answer).
 *
 * <p>Why invent a world: a model trained from scratch knows nothing, and a real encyclopedia cannot
 * be downloaded by the default run. Invented names cannot be memorised, so only search answers the
 * questions; the test split asks about entities no training question names; and because every
 * fact's passage is known, retrieval recall can be measured per hop. The same generator scales to a
 * million passages for search benchmarks.
 *
 * <p>Determinism: every random choice comes from {@link java.util.Random} streams derived from the
 * seed (its algorithm is fixed by the Java specification), and no output depends on hash iteration
 * order, so the same seed writes the same bytes on every machine.
 */
package org.research4j.search.world;
