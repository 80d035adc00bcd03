package org.research4j.search.world;

import java.util.Map;

/**
 * What a generated world holds; written as {@code world.json} beside the data.
 *
 * @param seed the seed
 * @param scale the entity-count multiplier
 * @param passages passages in corpus.jsonl
 * @param entities entity counts by kind
 * @param questions question counts by split
 * @param types question counts by split, then by type
 */
public record WorldSummary(
    long seed,
    double scale,
    long passages,
    Map<String, Integer> entities,
    Map<String, Integer> questions,
    Map<String, Map<String, Integer>> types) {}
