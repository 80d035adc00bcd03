package org.research4j.grpo.sft;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One training sequence: its tokens and, per token, whether the model is trained to predict it.
 * Prompt tokens and tokens that a tool inserted ({@code <result>…</result>}) are not trained.
 */
public record SftExample(int[] tokens, boolean[] trained) {
  public SftExample {
    if (tokens.length != trained.length) {
      throw new IllegalArgumentException(
          "SftExample: " + tokens.length + " tokens but " + trained.length + " mask entries");
    }
  }

  /** A sequence whose every token after the first is trained (language-model pretraining). */
  public static SftExample allTrained(int[] tokens) {
    boolean[] mask = new boolean[tokens.length];
    Arrays.fill(mask, true);
    return new SftExample(tokens, mask);
  }

  /**
   * Documents packed into training windows of {@code window} tokens, each document preceded by
   * {@code separator}, every token trained: no padding, so no compute spent on it (language-model
   * pretraining). The last window may be shorter.
   */
  public static List<SftExample> packed(List<int[]> documents, int separator, int window) {
    if (window < 2) throw new IllegalArgumentException("window must be >= 2, got " + window);
    List<SftExample> out = new ArrayList<>();
    int[] buf = new int[window];
    int n = 0;
    for (int[] doc : documents) {
      for (int i = -1; i < doc.length; i++) {
        buf[n++] = i < 0 ? separator : doc[i];
        if (n == window) {
          out.add(allTrained(buf.clone()));
          n = 0;
        }
      }
    }
    if (n > 1) out.add(allTrained(Arrays.copyOf(buf, n)));
    return out;
  }

  /**
   * Like {@link #packed}, but each document is followed, with probability {@code
   * repeatProbability}, by a repeat of itself, straight after its last token: {@code separator d d}
   * instead of {@code separator d}. The repeat is predictable only by copying from the context,
   * which rewards induction heads (the copy-rich, "bursty" text they form on). Whether a document
   * repeats is drawn from a generator seeded by {@code seed}, one draw per document; probability 0
   * gives exactly {@link #packed}'s windows. A document longer than about half a window has its
   * repeat partly in the next window, out of sight of the original.
   */
  public static List<SftExample> packedWithRepeats(
      List<int[]> documents, int separator, int window, double repeatProbability, long seed) {
    if (!(repeatProbability >= 0 && repeatProbability <= 1)) {
      throw new IllegalArgumentException(
          "repeat probability must be in [0, 1], got " + repeatProbability);
    }
    SplittableRandom rnd = new SplittableRandom(seed);
    List<int[]> docs = new ArrayList<>(documents.size());
    for (int[] doc : documents) {
      docs.add(rnd.nextDouble() < repeatProbability ? twice(doc) : doc);
    }
    return packed(docs, separator, window);
  }

  /**
   * Copy drills (Bi-Induct): {@code count} documents, each a random run of {@code pieces} (their
   * tokens concatenated, {@code minPieces} to {@code maxPieces} of them, drawn with {@code seed})
   * followed by the same run again. Everything in the second run is predictable only by copying the
   * first, so drills put the whole loss of their second half on induction: with name words as the
   * pieces, on copying names exactly.
   */
  public static List<int[]> copyDrills(
      List<int[]> pieces, int count, int minPieces, int maxPieces, long seed) {
    if (pieces.isEmpty() || count < 0 || minPieces < 1 || maxPieces < minPieces) {
      throw new IllegalArgumentException(
          "copy drills: need pieces, count >= 0 and 1 <= min <= max"
              + " pieces; got "
              + pieces.size()
              + " pieces, count "
              + count
              + ", "
              + minPieces
              + ".."
              + maxPieces);
    }
    SplittableRandom rnd = new SplittableRandom(seed);
    List<int[]> out = new ArrayList<>(count);
    for (int d = 0; d < count; d++) {
      int k = minPieces + rnd.nextInt(maxPieces - minPieces + 1);
      List<int[]> run = new ArrayList<>(k);
      int length = 0;
      for (int i = 0; i < k; i++) {
        int[] piece = pieces.get(rnd.nextInt(pieces.size()));
        run.add(piece);
        length += piece.length;
      }
      int[] tokens = new int[length];
      int at = 0;
      for (int[] piece : run) {
        System.arraycopy(piece, 0, tokens, at, piece.length);
        at += piece.length;
      }
      out.add(twice(tokens));
    }
    return out;
  }

  /** {@code tokens} followed by themselves. */
  private static int[] twice(int[] tokens) {
    int[] out = Arrays.copyOf(tokens, 2 * tokens.length);
    System.arraycopy(tokens, 0, out, tokens.length, tokens.length);
    return out;
  }

  public int length() {
    return tokens.length;
  }
}
