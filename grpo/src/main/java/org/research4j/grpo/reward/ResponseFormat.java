package org.research4j.grpo.reward;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The ReSearch response format. A well-formed response is a sequence of blocks, each {@code
 * <think>…</think>}, {@code <search>…</search>} followed by its {@code <result>…</result>}, or the
 * one {@code <answer>…</answer>}, which comes last and holds a {@code \boxed{…}}; between blocks
 * only whitespace; no block nests a tag. A response cut off by the length budget is malformed
 * whatever it holds. {@link #check} says what is wrong, so evaluation can count failure kinds.
 */
public final class ResponseFormat {
  private static final Pattern TAG = Pattern.compile("</?(think|search|result|answer)>");

  private ResponseFormat() {}

  /** The outcome of checking one response: the boxed answer, or why there is none. */
  public record Verdict(Optional<String> answer, String problem, int searches) {
    public boolean wellFormed() {
      return problem == null;
    }
  }

  /**
   * Checks {@code response} (the text after the prompt, tool results included). {@code finished}
   * says whether generation ended by itself (EOS) rather than by running out of length.
   */
  public static Verdict check(String response, boolean finished) {
    if (!finished) return bad("cut off before EOS", 0);
    Matcher m = TAG.matcher(response);
    String open = null;
    int openEnd = -1;
    int lastEnd = 0;
    int searches = 0;
    String previousBlock = null;
    String answer = null;
    while (m.find()) {
      boolean closing = m.group().startsWith("</");
      String tag = m.group(1);
      if (open == null) {
        if (closing) return bad("</" + tag + "> without <" + tag + ">", searches);
        if (!response.substring(lastEnd, m.start()).isBlank()) {
          return bad("text outside a tag before <" + tag + ">", searches);
        }
        if (answer != null) return bad("<" + tag + "> after the answer", searches);
        if (tag.equals("result") != "search".equals(previousBlock)) {
          return bad(tag.equals("result") ? "<result> not right after a search"
              : "a search without its <result>", searches);
        }
        open = tag;
        openEnd = m.end();
      } else {
        if (!closing || !tag.equals(open)) {
          return bad("<" + m.group().replaceAll("[</>]", "") + "> inside <" + open + ">", searches);
        }
        String body = response.substring(openEnd, m.start());
        if (tag.equals("search")) searches++;
        if (tag.equals("answer")) {
          Optional<String> boxed = boxed(body);
          if (boxed.isEmpty()) return bad("no \\boxed{} in the answer", searches);
          answer = boxed.get();
        }
        previousBlock = tag;
        open = null;
        lastEnd = m.end();
      }
    }
    if (open != null) return bad("<" + open + "> never closed", searches);
    if ("search".equals(previousBlock)) return bad("a search without its <result>", searches);
    if (answer == null) return bad("no <answer>", searches);
    if (!response.substring(lastEnd).isBlank()) return bad("text after </answer>", searches);
    return new Verdict(Optional.of(answer), null, searches);
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

  private static Verdict bad(String problem, int searches) {
    return new Verdict(Optional.empty(), problem, searches);
  }
}
