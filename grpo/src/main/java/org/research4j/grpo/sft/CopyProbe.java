package org.research4j.grpo.sft;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntPredicate;
import org.research4j.kernels.Kernels;
import org.research4j.tensor.Tape;
import org.research4j.tensor.Tensor;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.tokenizer.Tokenizer;

/**
 * Copy score: how well a model repeats an arbitrary span it has just read. A held-out set of
 * sequences, each an optional separator, then a span of {@code span} random token ids, then the
 * same span again; the score is the greedy next-token accuracy on the second copy (every token of
 * it but the first, which nothing in the context predicts). Chance is about {@link #chance()};
 * unigram statistics do not help, as the spans are random. A model copies them only once it has
 * induction heads ("find the earlier occurrence of the current token, predict what followed it"),
 * which form in a sudden phase change during language-model training: this score jumps from near
 * chance towards 1 when they do (Olsson et al., 2022, "In-context learning and induction heads").
 *
 * <p>The tokens of one span are distinct (drawn without replacement), so every copy position has
 * one right answer. The set is fixed by the seed.
 */
public final class CopyProbe {
  /** Sequences in the default probe. */
  public static final int DEFAULT_SEQUENCES = 32;

  /** Tokens per span in the default probe (a sequence is twice this, plus the separator). */
  public static final int DEFAULT_SPAN = 24;

  /** No separator before the first copy. */
  public static final int NO_SEPARATOR = -1;

  private final int[][] sequences;
  private final int span;
  private final int separator;
  private final int candidates;

  private CopyProbe(int[][] sequences, int span, int separator, int candidates) {
    this.sequences = sequences;
    this.span = span;
    this.separator = separator;
    this.candidates = candidates;
  }

  /**
   * The default probe ({@value #DEFAULT_SEQUENCES} sequences, spans of {@value #DEFAULT_SPAN}) over
   * the tokenizer's ordinary tokens: every id below its vocabulary size but the special ones and
   * {@code separator}.
   *
   * @param separator the id before each first copy (e.g. {@code <|endoftext|>}, which starts every
   *     packed document), or {@link #NO_SEPARATOR}
   */
  public static CopyProbe forTokenizer(Tokenizer tokenizer, int separator, long seed) {
    return forTokenizer(tokenizer, separator, DEFAULT_SEQUENCES, DEFAULT_SPAN, seed);
  }

  /** Like {@link #forTokenizer(Tokenizer, int, long)} with the given sizes. */
  public static CopyProbe forTokenizer(
      Tokenizer tokenizer, int separator, int sequences, int span, long seed) {
    return random(sequences, span, 0, tokenizer.vocabSize(), tokenizer::isSpecial, separator, seed);
  }

  /**
   * {@code sequences} sequences, each {@code [separator] s s} where {@code s} is {@code span}
   * distinct ids drawn uniformly from {@code [fromId, toId)}, leaving out the ids {@code excluded}
   * accepts and the separator.
   *
   * @param excluded ids never drawn (special tokens, say); {@code id -> false} for none
   * @param separator the id before each first copy, or {@link #NO_SEPARATOR}
   */
  public static CopyProbe random(
      int sequences,
      int span,
      int fromId,
      int toId,
      IntPredicate excluded,
      int separator,
      long seed) {
    if (sequences < 1 || span < 2) {
      throw new IllegalArgumentException(
          "CopyProbe: need >= 1 sequence and a span >= 2, got " + sequences + " and " + span);
    }
    if (fromId < 0 || toId <= fromId) {
      throw new IllegalArgumentException(
          "CopyProbe: empty id range [" + fromId + ", " + toId + ")");
    }
    if (separator < NO_SEPARATOR)
      throw new IllegalArgumentException("CopyProbe: separator " + separator);
    int[] pool = new int[toId - fromId];
    int n = 0;
    for (int id = fromId; id < toId; id++) {
      if (id != separator && !excluded.test(id)) pool[n++] = id;
    }
    if (n < span) {
      throw new IllegalArgumentException(
          "CopyProbe: only "
              + n
              + " ids to draw from in ["
              + fromId
              + ", "
              + toId
              + "), fewer than the span "
              + span);
    }
    pool = Arrays.copyOf(pool, n);
    int offset = separator == NO_SEPARATOR ? 0 : 1;
    SplittableRandom rnd = new SplittableRandom(seed);
    int[][] out = new int[sequences][];
    for (int s = 0; s < sequences; s++) {
      int[] draw = pool.clone();
      int[] seq = new int[offset + 2 * span];
      if (offset == 1) seq[0] = separator;
      for (int i = 0; i < span; i++) { // partial Fisher-Yates: the first `span` of a shuffle
        int j = i + rnd.nextInt(n - i);
        int t = draw[i];
        draw[i] = draw[j];
        draw[j] = t;
        seq[offset + i] = draw[i];
        seq[offset + span + i] = draw[i];
      }
      out[s] = seq;
    }
    return new CopyProbe(out, span, separator, n);
  }

  /** The probe's sequences (copies): {@code [separator] s s}. */
  public int[][] sequences() {
    int[][] out = new int[sequences.length][];
    for (int i = 0; i < out.length; i++) out[i] = sequences[i].clone();
    return out;
  }

  public int size() {
    return sequences.length;
  }

  public int span() {
    return span;
  }

  /** The separator before each first copy, or {@link #NO_SEPARATOR}. */
  public int separator() {
    return separator;
  }

  /** Tokens per sequence. */
  public int sequenceLength() {
    return sequences[0].length;
  }

  /** Positions scored per sequence: the second copy but its first token. */
  public int scoredPerSequence() {
    return span - 1;
  }

  /**
   * The accuracy of guessing uniformly among the ids spans are drawn from: 1 / their number.
   * (Knowing which of the span's tokens are not yet repeated does better, towards the end of a
   * copy; copying by induction approaches 1.)
   */
  public double chance() {
    return 1.0 / candidates;
  }

  /** The copy score of {@code model}, on a tape of its own. */
  public double score(Kernels kernels, Qwen2Model model) {
    try (Tape tape = new Tape(kernels)) {
      return score(tape, model, DEFAULT_SEQUENCES);
    }
  }

  /**
   * The copy score of {@code model}: {@code batchSize} sequences per forward pass, recording
   * nothing on {@code tape} (which it resets before each pass). Only the scored positions go
   * through the LM head.
   */
  public double score(Tape tape, Qwen2Model model, int batchSize) {
    if (batchSize < 1) throw new IllegalArgumentException("CopyProbe: batch size " + batchSize);
    int vocab = model.config().vocabSize();
    int len = sequenceLength();
    if (len > model.config().maxPositionEmbeddings()) {
      throw new IllegalArgumentException(
          "CopyProbe: sequences of "
              + len
              + " tokens exceed the model's "
              + model.config().maxPositionEmbeddings()
              + " positions");
    }
    for (int[] s : sequences) {
      for (int id : s) {
        if (id >= vocab) {
          throw new IllegalArgumentException(
              "CopyProbe: token id " + id + " is outside the model's vocabulary of " + vocab);
        }
      }
    }
    long correct = 0;
    long total = 0;
    for (int from = 0; from < sequences.length; from += batchSize) {
      int b = Math.min(batchSize, sequences.length - from);
      int[] ids = new int[b * len];
      for (int s = 0; s < b; s++) System.arraycopy(sequences[from + s], 0, ids, s * len, len);
      int[] rows = rows(b);
      int[] targets = targets(from, b);
      tape.reset();
      try (var ng = tape.noGrad()) {
        Tensor logits =
            model.logits(tape.ops(), tape.ints(ids, b, len), tape.ints(rows, rows.length));
        correct += correct(logits.toFloatArray(), vocab, targets);
        total += targets.length;
      }
    }
    return (double) correct / total;
  }

  /**
   * The flattened {@code [b * sequenceLength]} positions whose next token is scored, sequence by
   * sequence: position {@code p} predicts token {@code p + 1}, so the second copy's tokens {@code
   * 1..span-1} are predicted at {@code offset + span .. offset + 2*span - 2}.
   */
  int[] rows(int b) {
    int len = sequenceLength();
    int first = len - span; // the second copy's first token
    int[] rows = new int[b * (span - 1)];
    for (int s = 0, k = 0; s < b; s++) {
      for (int j = 1; j < span; j++) rows[k++] = s * len + first + j - 1;
    }
    return rows;
  }

  /** The tokens the rows of {@link #rows} should predict, for sequences {@code from..from+b-1}. */
  int[] targets(int from, int b) {
    int len = sequenceLength();
    int[] targets = new int[b * (span - 1)];
    for (int s = 0, k = 0; s < b; s++) {
      for (int j = 1; j < span; j++) targets[k++] = sequences[from + s][len - span + j];
    }
    return targets;
  }

  /**
   * How many rows of {@code logits} ({@code [targets.length, vocab]}, row-major) have their largest
   * entry at the target (the first such entry on ties, as greedy decoding picks).
   */
  public static int correct(float[] logits, int vocab, int[] targets) {
    if (logits.length != (long) targets.length * vocab) {
      throw new IllegalArgumentException(
          "CopyProbe: " + logits.length + " logits for " + targets.length + " rows of " + vocab);
    }
    int correct = 0;
    for (int r = 0; r < targets.length; r++) {
      int base = r * vocab;
      int best = 0;
      for (int v = 1; v < vocab; v++) {
        if (logits[base + v] > logits[base + best]) best = v;
      }
      if (best == targets[r]) correct++;
    }
    return correct;
  }

  /** The fraction of rows {@link #correct} counts; NaN for no rows. */
  public static double accuracy(float[] logits, int vocab, int[] targets) {
    return targets.length == 0
        ? Double.NaN
        : (double) correct(logits, vocab, targets) / targets.length;
  }
}
