package org.research4j.transformer.tokenizer;

/**
 * A token matched in the raw text before any BPE, as an entry of tokenizer.json's {@code
 * added_tokens}. Special tokens ({@code <|im_end|>}) are control tokens that decoding can skip;
 * non-special added tokens ({@code <think>} in Qwen3) are ordinary text that must stay one id.
 *
 * @param id its id
 * @param content the exact text it matches
 * @param singleWord match only when not inside a word (no letter, digit or {@code _} on either
 *     side)
 * @param lstrip the match swallows whitespace before it
 * @param rstrip the match swallows whitespace after it
 * @param normalized matched in the normalized text rather than the raw text
 * @param special a control token
 */
public record AddedToken(
    int id,
    String content,
    boolean singleWord,
    boolean lstrip,
    boolean rstrip,
    boolean normalized,
    boolean special) {

  public AddedToken {
    if (content.isEmpty()) {
      throw new IllegalArgumentException("added token " + id + " has empty content");
    }
  }

  /** A special token with all flags off, as Qwen's control tokens are. */
  public static AddedToken special(int id, String content) {
    return new AddedToken(id, content, false, false, false, false, true);
  }

  /** A non-special added token with all flags off, as Qwen3's {@code <think>} is. */
  public static AddedToken text(int id, String content) {
    return new AddedToken(id, content, false, false, false, false, false);
  }
}
