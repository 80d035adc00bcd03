package org.research4j.transformer.tokenizer;

import it.unimi.dsi.fastutil.longs.Long2LongOpenHashMap;
import it.unimi.dsi.fastutil.longs.LongHeapPriorityQueue;
import it.unimi.dsi.fastutil.objects.Object2IntOpenHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The byte-pair-encoding model: a vocabulary of byte-character strings and a ranked list of merges.
 * A word starts as its characters; the adjacent pair with the lowest merge rank is merged (the
 * leftmost one on ties), again and again until no pair has a merge, exactly as Hugging Face's
 * {@code BPE} without dropout.
 *
 * <p>The merge loop keeps a heap of candidate merges keyed by (rank, position) and a linked list of
 * symbols, so a word of n characters costs O(n log n); heap entries made stale by an earlier merge
 * are recognised and skipped. Results are cached per word (bounded, thread-safe).
 */
final class Bpe {
  /**
   * Words longer than this are not cached (as Hugging Face), so odd inputs cannot fill the cache.
   */
  private static final int MAX_CACHED_WORD = 256;

  private static final int CACHE_CAPACITY = 100_000;

  private final Object2IntOpenHashMap<String> vocab;
  private final String[] idToToken;

  /** (left id, right id) packed in a long -> (rank, merged id) packed in a long. */
  private final Long2LongOpenHashMap merges;

  private final List<String[]> mergeList;
  private final Map<String, int[]> cache = new ConcurrentHashMap<>();

  Bpe(Map<String, Integer> vocabMap, List<String[]> mergeList, String where) {
    this.vocab = new Object2IntOpenHashMap<>(vocabMap.size());
    this.vocab.defaultReturnValue(-1);
    int maxId = -1;
    for (Map.Entry<String, Integer> e : vocabMap.entrySet()) {
      vocab.put(e.getKey(), e.getValue().intValue());
      maxId = Math.max(maxId, e.getValue());
    }
    this.idToToken = new String[maxId + 1];
    vocabMap.forEach((k, v) -> idToToken[v] = k);
    this.mergeList = List.copyOf(mergeList);
    this.merges = new Long2LongOpenHashMap(mergeList.size());
    for (int rank = 0; rank < mergeList.size(); rank++) {
      String[] m = mergeList.get(rank);
      int a = vocab.getInt(m[0]);
      int b = vocab.getInt(m[1]);
      int ab = vocab.getInt(m[0] + m[1]);
      if (a < 0 || b < 0 || ab < 0) {
        throw new TokenizerException(
            where
                + ": merge "
                + rank
                + " [\""
                + m[0]
                + "\", \""
                + m[1]
                + "\"] uses a token that is not in the vocab ("
                + (a < 0 ? m[0] : b < 0 ? m[1] : m[0] + m[1])
                + ")");
      }
      // A pair listed twice keeps its last rank, as Hugging Face's map building does.
      merges.put(pair(a, b), ((long) rank << 32) | ab);
    }
  }

  static long pair(int a, int b) {
    return ((long) a << 32) | (b & 0xFFFFFFFFL);
  }

  /** Id of a vocabulary token, or -1. */
  int id(String token) {
    return vocab.getInt(token);
  }

  /** Token of an id, or null when the id is not in this vocabulary. */
  String token(int id) {
    return id >= 0 && id < idToToken.length ? idToToken[id] : null;
  }

  int maxId() {
    return idToToken.length - 1;
  }

  List<String[]> merges() {
    return mergeList;
  }

  /** The ids of one word given in byte characters. */
  int[] encodeWord(String word) {
    int[] cached = cache.get(word);
    if (cached != null) {
      return cached;
    }
    int[] ids = merge(word);
    if (word.length() <= MAX_CACHED_WORD && cache.size() < CACHE_CAPACITY) {
      cache.put(word, ids);
    }
    return ids;
  }

  private int[] merge(String word) {
    int n = word.length();
    int[] sym = new int[n];
    int[] next = new int[n];
    int[] prev = new int[n];
    for (int i = 0; i < n; i++) {
      int id = vocab.getInt(word.substring(i, i + 1));
      if (id < 0) {
        throw new TokenizerException(
            "character U+"
                + Integer.toHexString(word.charAt(i))
                + " of word \""
                + word
                + "\" is not in the vocabulary and the BPE has no unk_token");
      }
      sym[i] = id;
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    if (n == 1) {
      return sym;
    }
    // Heap entries pack (rank << 32 | position): the smallest is the lowest rank, leftmost on ties.
    LongHeapPriorityQueue heap = new LongHeapPriorityQueue(n);
    for (int i = 0; i + 1 < n; i++) {
      push(heap, sym, i, i + 1);
    }
    int live = n;
    while (!heap.isEmpty()) {
      long top = heap.dequeueLong();
      int pos = (int) top;
      int rank = (int) (top >>> 32);
      int right = next[pos];
      if (sym[pos] < 0 || right < 0) {
        continue;
      }
      long m = merges.getOrDefault(pair(sym[pos], sym[right]), -1L);
      if (m < 0 || (int) (m >>> 32) != rank) {
        continue; // the pair at this position changed since this entry was pushed
      }
      sym[pos] = (int) m;
      sym[right] = -1;
      next[pos] = next[right];
      if (next[pos] >= 0) {
        prev[next[pos]] = pos;
      }
      live--;
      if (prev[pos] >= 0) {
        push(heap, sym, prev[pos], pos);
      }
      if (next[pos] >= 0) {
        push(heap, sym, pos, next[pos]);
      }
    }
    int[] out = new int[live];
    for (int i = 0, k = 0; i >= 0; i = next[i]) {
      out[k++] = sym[i];
    }
    return out;
  }

  private void push(LongHeapPriorityQueue heap, int[] sym, int left, int right) {
    long m = merges.getOrDefault(pair(sym[left], sym[right]), -1L);
    if (m >= 0) {
      heap.enqueue((m & 0xFFFFFFFF00000000L) | left);
    }
  }
}
