package org.research4j.grpo.sft;

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
    java.util.Arrays.fill(mask, true);
    return new SftExample(tokens, mask);
  }

  public int length() {
    return tokens.length;
  }
}
