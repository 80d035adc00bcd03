package org.research4j.grpo.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * The order in which a run draws its training questions: a cursor over consecutive reshuffled
 * passes over the training set (each pass a permutation seeded by the run seed and the pass
 * number), so every question is used once per pass. The cursor (and, with the filter on, the pass
 * records) is saved with every checkpoint: a resumed run draws what the uninterrupted one would
 * have, even when dynamic sampling drew a varying number of questions per step. With neither
 * dynamic sampling nor the filter, step {@code s} reads positions {@code (s − 1)·q … s·q − 1}.
 *
 * <p>The pass-rate filter: a rollout passes when its answer F1 is at least {@link #PASS_F1}; each
 * question keeps the pass rate of its latest group. A question whose latest group all passed is
 * skipped the next time the order reaches it (one pass over the data), then drawn again, which
 * re-measures it. Skipping clears the mark, so a draw always ends, even if every question is
 * marked.
 */
final class QuestionStream {
  /** Answer F1 at or above which a rollout counts as passed. */
  static final double PASS_F1 = 0.5;

  private final int size;
  private final long seed;
  private final boolean filter;

  /** Per question index: seen (groups), passed and of (its latest group), skip (marked). */
  private final Map<Integer, int[]> records = new TreeMap<>();

  private long cursor;
  private int cachedPass = -1;
  private int[] perm;

  /** What one draw took: training-set indices in order, and how many the filter skipped. */
  record Draw(List<Integer> indices, int skipped) {}

  QuestionStream(int size, long seed, boolean filter) {
    if (size < 1) throw new IllegalArgumentException("GRPO: no training questions");
    this.size = size;
    this.seed = seed;
    this.filter = filter;
  }

  /** The next {@code n} questions. */
  Draw draw(int n) {
    List<Integer> out = new ArrayList<>(n);
    int skipped = 0;
    while (out.size() < n) {
      int idx = at(cursor++);
      int[] r = records.get(idx);
      if (filter && r != null && r[3] == 1) {
        r[3] = 0;
        skipped++;
        continue;
      }
      out.add(idx);
    }
    return new Draw(out, skipped);
  }

  /** Records a group of question {@code idx}: {@code passed} of its {@code of} rollouts passed. */
  void record(int idx, int passed, int of) {
    if (!filter) return;
    int[] r = records.computeIfAbsent(idx, k -> new int[4]);
    r[0]++;
    r[1] = passed;
    r[2] = of;
    r[3] = passed == of ? 1 : 0;
  }

  /** The pass rate of question {@code idx}'s latest group, NaN if none was recorded. */
  double passRate(int idx) {
    int[] r = records.get(idx);
    return r == null ? Double.NaN : (double) r[1] / r[2];
  }

  long cursor() {
    return cursor;
  }

  /** Writes the cursor and the pass records into a checkpoint's trainer state. */
  void save(ObjectNode state) {
    state.put("question_cursor", cursor);
    state.put("train_questions", size);
    if (!filter) return;
    ArrayNode a = state.putArray("pass_records");
    for (Map.Entry<Integer, int[]> e : records.entrySet()) {
      int[] r = e.getValue();
      a.addArray().add(e.getKey()).add(r[0]).add(r[1]).add(r[2]).add(r[3]);
    }
  }

  /**
   * Restores what {@link #save} wrote; a state without a cursor (a checkpoint from before there was
   * one) resumes at {@code fallbackCursor}. Returns false when the checkpoint was trained on a
   * training set of another size (the order then is not the one the run had).
   */
  boolean restore(JsonNode state, long fallbackCursor) {
    cursor = state.path("question_cursor").asLong(fallbackCursor);
    records.clear();
    for (JsonNode r : state.path("pass_records")) {
      if (r.get(0).asInt() >= size) continue;
      records.put(
          r.get(0).asInt(),
          new int[] {r.get(1).asInt(), r.get(2).asInt(), r.get(3).asInt(), r.get(4).asInt()});
    }
    return state.path("train_questions").asInt(size) == size;
  }

  private int at(long i) {
    int pass = (int) (i / size);
    if (pass != cachedPass) {
      perm = permutation(size, seed * 7_919L + pass);
      cachedPass = pass;
    }
    return perm[(int) (i % size)];
  }

  private static int[] permutation(int n, long seed) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) p[i] = i;
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
