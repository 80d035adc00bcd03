package org.research4j.grpo.reward;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The ReSearch response format with the search tool alone, the paper's. A well-formed response is a
 * sequence of blocks, each {@code <think>…</think>}, {@code <search>…</search>} followed by its
 * {@code <result>…</result>}, or the one {@code <answer>…</answer>}, which comes last and holds a
 * {@code \boxed{…}}; between blocks only whitespace; no block nests a tag. A response cut off by
 * the length budget is malformed whatever it holds. {@link #check} says what is wrong, so
 * evaluation can count failure kinds. {@link FormatRule} is the same rule for any set of tools.
 */
public final class ResponseFormat {

  private ResponseFormat() {}

  /**
   * The outcome of checking one response: the boxed answer, or why there is none; and the calls of
   * each tool up to where the check ended, by tool name.
   */
  public record Verdict(Optional<String> answer, String problem, Map<String, Integer> calls) {
    public Verdict {
      calls = Collections.unmodifiableMap(new LinkedHashMap<>(calls));
    }

    public boolean wellFormed() {
      return problem == null;
    }

    /** Calls of the search tool. */
    public int searches() {
      return calls.getOrDefault("search", 0);
    }

    /** Calls of every tool together. */
    public int toolCalls() {
      return calls.values().stream().mapToInt(Integer::intValue).sum();
    }
  }

  /**
   * Checks {@code response} (the text after the prompt, tool results included) under the paper's
   * rule ({@link FormatRule#SEARCH}). {@code finished} says whether generation ended by itself
   * (EOS) rather than by running out of length.
   */
  public static Verdict check(String response, boolean finished) {
    return FormatRule.SEARCH.check(response, finished);
  }

  /** The contents of the first {@code \boxed{…}} in {@code text}, braces matched. */
  public static Optional<String> boxed(String text) {
    int at = text.indexOf("\\boxed{");
    if (at < 0) return Optional.empty();
    int depth = 0;
    int start = at + "\\boxed{".length();
    for (int i = start; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '{') depth++;
      else if (c == '}') {
        if (depth == 0) return Optional.of(text.substring(start, i).strip());
        depth--;
      }
    }
    return Optional.empty();
  }
}
