package org.research4j.grpo.rollout;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A ReSearch response split into its turns, in order: {@code think}, {@code search}, {@code result}
 * and {@code answer} blocks by their tags, and {@code text} for anything outside a tag. A block
 * whose closing tag has not come yet (a response cut off, or still being generated) is a turn with
 * {@code closed} false. {@link #boxed} reads the final answer out of an answer block.
 */
public final class TraceTurns {
  private TraceTurns() {}

  /** One turn: its kind (think, search, result, answer or text), its text without tags. */
  public record Turn(String kind, String text, boolean closed) {}

  private static final Pattern OPEN = Pattern.compile("<(think|search|result|answer)>");
  private static final Pattern BOXED = Pattern.compile("\\\\boxed\\{(.*)}", Pattern.DOTALL);

  public static List<Turn> of(String response) {
    List<Turn> turns = new ArrayList<>();
    int at = 0;
    Matcher m = OPEN.matcher(response);
    while (at < response.length() && m.find(at)) {
      String between = response.substring(at, m.start());
      if (!between.isBlank()) turns.add(new Turn("text", between.strip(), true));
      String kind = m.group(1);
      String close = "</" + kind + ">";
      int end = response.indexOf(close, m.end());
      if (end < 0) {
        turns.add(new Turn(kind, response.substring(m.end()).strip(), false));
        return turns;
      }
      turns.add(new Turn(kind, response.substring(m.end(), end).strip(), true));
      at = end + close.length();
    }
    if (at < response.length() && !response.substring(at).isBlank()) {
      turns.add(new Turn("text", response.substring(at).strip(), true));
    }
    return turns;
  }

  /**
   * The final answer: the last answer block's {@code \boxed{...}} content, else its text; null when
   * none.
   */
  public static String answer(String response) {
    String answer = null;
    for (Turn t : of(response)) {
      if (t.kind().equals("answer")) {
        Matcher b = BOXED.matcher(t.text());
        answer = b.find() ? b.group(1).strip() : t.text();
      }
    }
    return answer;
  }

  /** The queries of every search turn, in order. */
  public static List<String> searches(String response) {
    return of(response).stream().filter(t -> t.kind().equals("search")).map(Turn::text).toList();
  }
}
