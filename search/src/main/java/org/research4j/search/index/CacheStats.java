package org.research4j.search.index;

/** What the query cache holds and how often it answered, for {@code /health} and reports. */
public record CacheStats(long entries, long hits, long misses) {}
