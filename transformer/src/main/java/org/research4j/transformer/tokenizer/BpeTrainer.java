package org.research4j.transformer.tokenizer;

import it.unimi.dsi.fastutil.ints.IntArrayList;
import it.unimi.dsi.fastutil.longs.Long2LongMap;
import it.unimi.dsi.fastutil.longs.Long2LongOpenHashMap;
import it.unimi.dsi.fastutil.longs.Long2ObjectOpenHashMap;
import it.unimi.dsi.fastutil.objects.Object2IntMap;
import it.unimi.dsi.fastutil.objects.Object2IntOpenHashMap;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Trains a byte-level BPE tokenizer of the Qwen2 kind (NFC, Qwen2's split regex, byte-level
 * alphabet) on a corpus and returns it as a {@link Tokenizer} built from its own tokenizer.json
 * tree, so what is trained is exactly what is saved and loaded.
 *
 * <p>Vocabulary layout: ids 0..255 are the byte characters in byte order, then one id per merge in
 * the order learned (a merge that makes an existing string reuses its id), then the added tokens
 * (special ones first), so ids are dense. Added tokens written in the corpus are cut out before
 * counting, so they never take part in merges.
 *
 * <p>Each step merges the adjacent pair with the highest count over all words (weighted by word
 * frequency). <b>Ties</b> go to the pair with the smaller left id, then the smaller right id; ids
 * follow creation order, so training is deterministic whatever the iteration order of the corpus
 * maps. Training stops at the target size or when the best pair occurs fewer than {@code
 * minFrequency} times.
 *
 * <p>Cost: counting pairs once, then per merge only the words that contain the merged pair are
 * rewritten (an index pair -> words is kept), and the best pair comes from a heap whose stale
 * entries (counts that have since dropped) are re-queued with their current count when popped.
 */
public final class BpeTrainer {
  /** Control tokens of the ChatML format: special. */
  public static final List<String> CHATML_SPECIAL_TOKENS =
      List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");

  /** The ReSearch tags: added tokens that are text (not special), as Qwen3's {@code <think>}. */
  public static final List<String> RESEARCH_TAGS =
      List.of(
          "<think>",
          "</think>",
          "<search>",
          "</search>",
          "<result>",
          "</result>",
          "<answer>",
          "</answer>");

  private final int vocabSize;
  private final int minFrequency;
  private final List<String> specialTokens;
  private final List<String> textTokens;

  /**
   * @param vocabSize total ids wanted: 256 bytes + merges + added tokens
   * @param minFrequency a pair seen fewer times than this is not merged
   * @param specialTokens added tokens marked special (control tokens)
   * @param textTokens added tokens that are ordinary text but always one id
   */
  public BpeTrainer(
      int vocabSize, int minFrequency, List<String> specialTokens, List<String> textTokens) {
    int reserved = 256 + specialTokens.size() + textTokens.size();
    if (vocabSize < reserved) {
      throw new IllegalArgumentException(
          "vocab size "
              + vocabSize
              + " is below the "
              + reserved
              + " ids of the byte alphabet and the added tokens");
    }
    if (minFrequency < 1) {
      throw new IllegalArgumentException("minFrequency must be at least 1, got " + minFrequency);
    }
    this.vocabSize = vocabSize;
    this.minFrequency = minFrequency;
    this.specialTokens = List.copyOf(specialTokens);
    this.textTokens = List.copyOf(textTokens);
  }

  /** The ReSearch setup: ChatML special tokens and the ReSearch tags, pairs seen at least twice. */
  public static BpeTrainer research(int vocabSize) {
    return new BpeTrainer(vocabSize, 2, CHATML_SPECIAL_TOKENS, RESEARCH_TAGS);
  }

  /**
   * Trains on {@code texts} (each an independent document). The result has {@code vocabSize} ids,
   * or fewer when the corpus runs out of pairs seen {@code minFrequency} times.
   */
  public Tokenizer train(Iterable<String> texts) {
    Object2IntOpenHashMap<String> wordCounts = countWords(texts);

    int nWords = wordCounts.size();
    int[][] words = new int[nWords][];
    int[] freq = new int[nWords];
    int w = 0;
    for (Object2IntMap.Entry<String> e : wordCounts.object2IntEntrySet()) {
      String word = e.getKey();
      int[] sym = new int[word.length()];
      for (int i = 0; i < sym.length; i++) {
        sym[i] = ByteLevel.byteOf(word.charAt(i));
      }
      words[w] = sym;
      freq[w++] = e.getIntValue();
    }

    List<String> tokens = new ArrayList<>(vocabSize);
    Map<String, Integer> ids = new HashMap<>();
    for (int b = 0; b < 256; b++) {
      String c = String.valueOf(ByteLevel.charOf(b));
      tokens.add(c);
      ids.put(c, b);
    }
    List<String[]> merges =
        learnMerges(words, freq, tokens, ids, vocabSize - specialTokens.size() - textTokens.size());
    return Tokenizer.fromJson(
        TokenizerJson.write(tokens, merges, addedTokens(tokens.size())), "trained tokenizer");
  }

  private List<AddedToken> addedTokens(int firstId) {
    List<AddedToken> added = new ArrayList<>();
    int id = firstId;
    for (String s : specialTokens) {
      added.add(AddedToken.special(id++, s));
    }
    for (String s : textTokens) {
      added.add(AddedToken.text(id++, s));
    }
    return added;
  }

  private Object2IntOpenHashMap<String> countWords(Iterable<String> texts) {
    AddedVocabulary cut = new AddedVocabulary(addedTokens(0));
    PreTokenizer pre = PreTokenizer.qwen2();
    Object2IntOpenHashMap<String> counts = new Object2IntOpenHashMap<>();
    for (String text : texts) {
      for (AddedVocabulary.Piece p : cut.split(text, false)) {
        if (p.token() == null) {
          pre.split(
              Normalizer.normalize(p.text(), Normalizer.Form.NFC), word -> counts.addTo(word, 1));
        }
      }
    }
    return counts;
  }

  /** A candidate merge in the heap; {@code count} may be stale (higher than the current count). */
  private record Candidate(long pair, long count) {}

  private List<String[]> learnMerges(
      int[][] words, int[] freq, List<String> tokens, Map<String, Integer> ids, int bpeSize) {
    Long2LongOpenHashMap pairCounts = new Long2LongOpenHashMap();
    Long2ObjectOpenHashMap<IntArrayList> pairWords = new Long2ObjectOpenHashMap<>();
    for (int w = 0; w < words.length; w++) {
      int[] s = words[w];
      for (int i = 0; i + 1 < s.length; i++) {
        long p = Bpe.pair(s[i], s[i + 1]);
        pairCounts.addTo(p, freq[w]);
        IntArrayList l = pairWords.get(p);
        if (l == null) {
          pairWords.put(p, l = new IntArrayList());
        }
        if (l.isEmpty() || l.getInt(l.size() - 1) != w) {
          l.add(w);
        }
      }
    }
    PriorityQueue<Candidate> heap =
        new PriorityQueue<>(
            (a, b) ->
                a.count() != b.count()
                    ? Long.compare(b.count(), a.count())
                    : Long.compare(a.pair(), b.pair()));
    for (Long2LongMap.Entry e : pairCounts.long2LongEntrySet()) {
      heap.add(new Candidate(e.getLongKey(), e.getLongValue()));
    }

    List<String[]> merges = new ArrayList<>();
    int[] visited = new int[words.length];
    java.util.Arrays.fill(visited, -1);
    Long2LongOpenHashMap delta = new Long2LongOpenHashMap();
    while (tokens.size() < bpeSize && !heap.isEmpty()) {
      Candidate top = heap.poll();
      long current = pairCounts.get(top.pair());
      if (current != top.count()) {
        if (current > 0) {
          heap.add(new Candidate(top.pair(), current));
        }
        continue;
      }
      if (current < minFrequency) {
        break;
      }
      int left = (int) (top.pair() >>> 32);
      int right = (int) top.pair();
      String merged = tokens.get(left) + tokens.get(right);
      Integer existing = ids.get(merged);
      int newId;
      if (existing != null) {
        newId = existing; // the same string made by a different pair: reuse its id, as Hugging Face
        // does
      } else {
        newId = tokens.size();
        tokens.add(merged);
        ids.put(merged, newId);
      }
      merges.add(new String[] {tokens.get(left), tokens.get(right)});

      int step = merges.size();
      delta.clear();
      IntArrayList affected = pairWords.remove(top.pair());
      for (int k = 0; k < affected.size(); k++) {
        int w = affected.getInt(k);
        if (visited[w] == step) {
          continue;
        }
        visited[w] = step;
        words[w] = mergeWord(words[w], left, right, newId, freq[w], delta, pairWords, w);
      }
      for (Long2LongMap.Entry e : delta.long2LongEntrySet()) {
        long p = e.getLongKey();
        long c = pairCounts.addTo(p, e.getLongValue()) + e.getLongValue();
        if (c <= 0) {
          pairCounts.remove(p);
        } else if (e.getLongValue() > 0) {
          heap.add(new Candidate(p, c));
        }
      }
    }
    return merges;
  }

  /**
   * Merges every non-overlapping (left, right) in a word, left to right, and records how the word's
   * pair counts change in {@code delta}; pairs with the new token index the word.
   */
  private static int[] mergeWord(
      int[] s,
      int left,
      int right,
      int newId,
      int f,
      Long2LongOpenHashMap delta,
      Long2ObjectOpenHashMap<IntArrayList> pairWords,
      int w) {
    int[] out = new int[s.length];
    int n = 0;
    boolean changed = false;
    for (int i = 0; i < s.length; i++) {
      if (i + 1 < s.length && s[i] == left && s[i + 1] == right) {
        out[n++] = newId;
        i++;
        changed = true;
      } else {
        out[n++] = s[i];
      }
    }
    if (!changed) {
      return s;
    }
    for (int i = 0; i + 1 < s.length; i++) {
      delta.addTo(Bpe.pair(s[i], s[i + 1]), -f);
    }
    for (int i = 0; i + 1 < n; i++) {
      long p = Bpe.pair(out[i], out[i + 1]);
      delta.addTo(p, f);
      if (out[i] == newId || out[i + 1] == newId) {
        IntArrayList l = pairWords.get(p);
        if (l == null) {
          pairWords.put(p, l = new IntArrayList());
        }
        if (l.isEmpty() || l.getInt(l.size() - 1) != w) {
          l.add(w);
        }
      }
    }
    return java.util.Arrays.copyOf(out, n);
  }
}
