package org.research4j.grpo.eval;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.research4j.grpo.reward.AnswerMetrics;
import org.research4j.grpo.reward.FormatRule;
import org.research4j.grpo.reward.ReSearchReward;
import org.research4j.grpo.reward.ResponseFormat;
import org.research4j.grpo.rollout.Rollout;

/**
 * How a response is read for exact match and F1. {@link #STRICT} is the training reward's reading:
 * only a well-formed ReSearch response has an answer. {@link #LENIENT} reads an answer out of any
 * text, so that the baselines (whose prompted outputs need not follow the ReSearch format) and the
 * agent are compared on the same footing; for a well-formed response both readings give the same
 * answer. Either way the reward and the format verdict stay the strict ones.
 */
public enum Scoring {
  STRICT,
  LENIENT;

  private static final Pattern ANSWER_IS =
      Pattern.compile("(?i)answer is[:\\s]*([^\\n]*?)(?:\\.\\s|\\.$|\\n|$)");

  public ReSearchReward.Score score(Rollout r, List<String> golden) {
    return score(r, golden, FormatRule.SEARCH);
  }

  /** As {@link #score(Rollout, List)} under the format rule of a set of tools. */
  public ReSearchReward.Score score(Rollout r, List<String> golden, FormatRule rule) {
    ReSearchReward.Score strict =
        ReSearchReward.score(rule, r.text(), r.finished(), golden, ReSearchReward.FORMAT_ONLY);
    if (this == STRICT || strict.verdict().wellFormed()) return strict;
    String answer = read(r.text(), rule);
    return new ReSearchReward.Score(
        strict.reward(),
        AnswerMetrics.exactMatch(answer, golden),
        AnswerMetrics.f1(answer, golden),
        strict.verdict());
  }

  /**
   * The answer in {@code text} read leniently, first rule that applies: the well-formed response's
   * boxed answer; the last {@code <answer>} block (closed or cut off): its {@code \boxed{}}, else
   * its text; the first {@code \boxed{}} anywhere; the words after the last "answer is" up to the
   * end of that sentence; else the last non-blank line with the tags removed (a prompted model told
   * to give only the answer often omits the box).
   */
  public static String read(String text) {
    return read(text, FormatRule.SEARCH);
  }

  /** As {@link #read(String)}, the tags being those of {@code rule}. */
  public static String read(String text, FormatRule rule) {
    Pattern tags = rule.tagPattern();
    Optional<String> formal = rule.check(text, true).answer();
    if (formal.isPresent()) return formal.get();
    int open = text.lastIndexOf("<answer>");
    if (open >= 0) {
      int close = text.indexOf("</answer>", open);
      String body = text.substring(open + "<answer>".length(), close < 0 ? text.length() : close);
      return ResponseFormat.boxed(body).orElse(tags.matcher(body).replaceAll(" ").strip());
    }
    Optional<String> boxed = ResponseFormat.boxed(text);
    if (boxed.isPresent()) return boxed.get();
    String last = null;
    for (Matcher m = ANSWER_IS.matcher(text); m.find(); ) last = m.group(1);
    if (last != null) return last.strip();
    String plain = tags.matcher(text).replaceAll("\n");
    String[] lines = plain.strip().split("\n");
    for (int i = lines.length - 1; i >= 0; i--) if (!lines[i].isBlank()) return lines[i].strip();
    return "";
  }
}
