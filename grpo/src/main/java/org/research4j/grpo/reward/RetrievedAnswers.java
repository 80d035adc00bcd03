package org.research4j.grpo.reward;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.research4j.search.flashrag.QaExample;

/** Which of a question's hop answers a response's search results hold (whole words, exact case). */
public final class RetrievedAnswers {
  private static final Pattern RESULT = Pattern.compile("<result>(.*?)</result>", Pattern.DOTALL);

  private RetrievedAnswers() {}

  /** The share of {@code hops} whose answer appears in a result block of {@code response}. */
  static double share(String response, List<QaExample.Hop> hops) {
    if (hops.isEmpty()) return 0;
    List<String> results = new ArrayList<>();
    Matcher m = RESULT.matcher(response);
    while (m.find()) results.add(m.group(1));
    int found = 0;
    for (QaExample.Hop hop : hops) {
      for (String r : results) {
        if (holds(r, hop.answer())) {
          found++;
          break;
        }
      }
    }
    return (double) found / hops.size();
  }

  /** {@code word} occurs in {@code text} with no letter or digit on either side. */
  public static boolean holds(String text, String word) {
    if (word.isEmpty()) return false;
    for (int at = text.indexOf(word); at >= 0; at = text.indexOf(word, at + 1)) {
      int end = at + word.length();
      if ((at == 0 || !Character.isLetterOrDigit(text.charAt(at - 1)))
          && (end == text.length() || !Character.isLetterOrDigit(text.charAt(end)))) {
        return true;
      }
    }
    return false;
  }
}
