package org.research4j.grpo.reward;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.research4j.grpo.tool.ToolTags;
import org.research4j.grpo.tool.Tools;

/**
 * The ReSearch format rule for any set of tools. A well-formed response is a sequence of blocks,
 * each {@code <think>…</think>}, a tool's call block followed at once by that tool's result block,
 * or the one {@code <answer>…</answer>}, which comes last and holds a {@code \boxed{…}}; between
 * blocks only whitespace; no block nests a tag of the rule; a result block only right after a call
 * of a tool that answers with it. A response cut off by the length budget is malformed whatever it
 * holds. The rule knows tools only by their {@link ToolTags}, so a new tool needs no change here;
 * with the search tool alone it is the paper's rule ({@link #SEARCH}, {@link ResponseFormat}).
 */
public final class FormatRule {
  /** The paper's rule: think, search, result, answer. */
  public static final FormatRule SEARCH = of(List.of(ToolTags.SEARCH));

  private final List<ToolTags> tools;
  private final Map<String, ToolTags> byCall = new LinkedHashMap<>();
  private final Map<String, List<String>> callersOfResult = new LinkedHashMap<>();
  private final Pattern tag;

  private FormatRule(List<ToolTags> tools) {
    this.tools = Tools.validate(tools);
    Set<String> names = new LinkedHashSet<>(List.of("think"));
    for (ToolTags t : this.tools) {
      byCall.put(t.callName(), t);
      callersOfResult.computeIfAbsent(t.resultName(), r -> new ArrayList<>()).add(t.name());
      names.add(t.callName());
      names.add(t.resultName());
    }
    names.add("answer");
    this.tag = Pattern.compile("</?(" + String.join("|", names) + ")>");
  }

  /** The rule for these tools' tags (checked as {@link Tools#validate} does). */
  public static FormatRule of(List<ToolTags> tools) {
    return new FormatRule(tools);
  }

  /** The rule for the tools of a registry. */
  public static FormatRule of(Tools tools) {
    return new FormatRule(tools.tags());
  }

  /** The tools this rule knows, in registration order. */
  public List<ToolTags> tools() {
    return tools;
  }

  /** Matches every tag of the rule (think, answer, each tool's call and result tags). */
  public Pattern tagPattern() {
    return tag;
  }

  /**
   * Checks {@code response} (the text after the prompt, tool results included). {@code finished}
   * says whether generation ended by itself (EOS) rather than by running out of length.
   */
  public ResponseFormat.Verdict check(String response, boolean finished) {
    Map<String, Integer> calls = new LinkedHashMap<>();
    for (ToolTags t : tools) calls.put(t.name(), 0);
    if (!finished) return bad("cut off before EOS", calls);
    Matcher m = tag.matcher(response);
    String open = null;
    int openEnd = -1;
    int lastEnd = 0;
    String previousBlock = null;
    String answer = null;
    while (m.find()) {
      boolean closing = m.group().startsWith("</");
      String name = m.group(1);
      if (open == null) {
        if (closing) return bad("</" + name + "> without <" + name + ">", calls);
        if (!response.substring(lastEnd, m.start()).isBlank()) {
          return bad("text outside a tag before <" + name + ">", calls);
        }
        if (answer != null) return bad("<" + name + "> after the answer", calls);
        ToolTags pending = previousBlock == null ? null : byCall.get(previousBlock);
        if (pending != null && !name.equals(pending.resultName())) {
          return bad("a " + pending.name() + " without its <" + pending.resultName() + ">", calls);
        }
        if (pending == null && callersOfResult.containsKey(name)) {
          return bad(
              "<" + name + "> not right after a " + String.join(" or ", callersOfResult.get(name)),
              calls);
        }
        open = name;
        openEnd = m.end();
      } else {
        if (!closing || !name.equals(open)) {
          return bad("<" + m.group().replaceAll("[</>]", "") + "> inside <" + open + ">", calls);
        }
        String body = response.substring(openEnd, m.start());
        ToolTags called = byCall.get(name);
        if (called != null) calls.merge(called.name(), 1, Integer::sum);
        if (name.equals("answer")) {
          Optional<String> boxed = ResponseFormat.boxed(body);
          if (boxed.isEmpty()) return bad("no \\boxed{} in the answer", calls);
          answer = boxed.get();
        }
        previousBlock = name;
        open = null;
        lastEnd = m.end();
      }
    }
    if (open != null) return bad("<" + open + "> never closed", calls);
    ToolTags pending = previousBlock == null ? null : byCall.get(previousBlock);
    if (pending != null) {
      return bad("a " + pending.name() + " without its <" + pending.resultName() + ">", calls);
    }
    if (answer == null) return bad("no <answer>", calls);
    if (!response.substring(lastEnd).isBlank()) return bad("text after </answer>", calls);
    return new ResponseFormat.Verdict(Optional.of(answer), null, calls);
  }

  private static ResponseFormat.Verdict bad(String problem, Map<String, Integer> calls) {
    return new ResponseFormat.Verdict(Optional.empty(), problem, calls);
  }
}
