package org.research4j.search.index;

import it.unimi.dsi.fastutil.objects.Object2ObjectLinkedOpenHashMap;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A least-recently-used cache of search results keyed by (query text, k). GRPO asks the same
 * question of the same corpus G times per step and epoch after epoch, and a policy early in
 * training repeats its queries verbatim, so hits are frequent.
 *
 * <p>Split into shards, each an insertion-ordered fastutil map under its own lock, so that
 * concurrent searches rarely wait on one another; a shard's eldest entry goes when it is full.
 */
final class QueryCache {
  private static final int SHARDS = 16;

  private record Key(String query, int k) {}

  private final Shard[] shards;
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();

  QueryCache(int capacity) {
    int shardCount = capacity == 0 ? 0 : Math.min(SHARDS, capacity);
    shards = new Shard[shardCount];
    for (int i = 0; i < shardCount; i++) {
      shards[i] = new Shard(capacity / shardCount + (i < capacity % shardCount ? 1 : 0));
    }
  }

  /** The cached hits, or null. */
  List<Hit> get(String query, int k) {
    if (shards.length == 0) {
      return null;
    }
    Key key = new Key(query, k);
    List<Hit> found = shard(key).get(key);
    (found == null ? misses : hits).increment();
    return found;
  }

  void put(String query, int k, List<Hit> result) {
    if (shards.length > 0) {
      Key key = new Key(query, k);
      shard(key).put(key, result);
    }
  }

  CacheStats stats() {
    long entries = 0;
    for (Shard s : shards) {
      entries += s.size();
    }
    return new CacheStats(entries, hits.sum(), misses.sum());
  }

  private Shard shard(Key key) {
    return shards[Math.floorMod(key.hashCode(), shards.length)];
  }

  private static final class Shard {
    private final int capacity;
    private final Object2ObjectLinkedOpenHashMap<Key, List<Hit>> map;
    private final ReentrantLock lock = new ReentrantLock();

    Shard(int capacity) {
      this.capacity = capacity;
      this.map = new Object2ObjectLinkedOpenHashMap<>(capacity);
    }

    List<Hit> get(Key key) {
      lock.lock();
      try {
        return map.getAndMoveToLast(key);
      } finally {
        lock.unlock();
      }
    }

    void put(Key key, List<Hit> value) {
      lock.lock();
      try {
        map.putAndMoveToLast(key, value);
        if (map.size() > capacity) {
          map.removeFirst();
        }
      } finally {
        lock.unlock();
      }
    }

    int size() {
      lock.lock();
      try {
        return map.size();
      } finally {
        lock.unlock();
      }
    }
  }
}
