package org.research4j.grpo.tool;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The tools a policy may call, in registration order: what the rollout engine stops at and
 * dispatches to, what the format rule accepts and what the instructed prompt lists. Names and call
 * tags are unique, no tool may use {@code <think>} or {@code <answer>}, and no tag is both a call
 * tag and a result tag, so that a response reads one way only. Registering the paper's search tool
 * alone gives exactly the paper's setup.
 */
public final class Tools {
  /** Tags of the response's own blocks, which no tool may take. */
  public static final Set<String> RESERVED = Set.of("think", "answer");

  private final List<Tool> tools;
  private final List<ToolTags> tags;
  private final Map<String, Tool> byCallClose;

  private Tools(List<Tool> tools) {
    if (tools.isEmpty()) throw new IllegalArgumentException("tools: register at least one tool");
    this.tools = List.copyOf(tools);
    this.tags = tagsOf(tools);
    this.byCallClose = new LinkedHashMap<>();
    for (Tool t : tools) byCallClose.put(t.callClose(), t);
  }

  public static Tools of(Tool... tools) {
    return new Tools(List.of(tools));
  }

  public static Tools of(List<? extends Tool> tools) {
    return new Tools(new ArrayList<>(tools));
  }

  /**
   * Checks a set of tags for the rules above and returns them as an immutable list; the format rule
   * calls this for tag sets that come without tools.
   */
  public static List<ToolTags> validate(List<ToolTags> tags) {
    if (tags.isEmpty()) throw new IllegalArgumentException("tools: register at least one tool");
    Set<String> names = new java.util.HashSet<>();
    Set<String> calls = new java.util.HashSet<>();
    Set<String> results = new java.util.HashSet<>();
    for (ToolTags t : tags) {
      if (!names.add(t.name()))
        throw new IllegalArgumentException("tools: two tools named " + t.name());
      if (!calls.add(t.callName())) {
        throw new IllegalArgumentException("tools: two tools call with <" + t.callName() + ">");
      }
      results.add(t.resultName());
      for (String tag : List.of(t.callName(), t.resultName())) {
        if (RESERVED.contains(tag)) {
          throw new IllegalArgumentException(
              "tools: tool " + t.name() + " uses <" + tag + ">, which is the response's own");
        }
      }
    }
    for (String r : results) {
      if (calls.contains(r)) {
        throw new IllegalArgumentException("tools: <" + r + "> is both a call and a result tag");
      }
    }
    return List.copyOf(tags);
  }

  private static List<ToolTags> tagsOf(List<Tool> tools) {
    List<ToolTags> out = new ArrayList<>(tools.size());
    for (Tool t : tools) out.add(t.tags());
    return validate(out);
  }

  /** The tools in registration order. */
  public List<Tool> list() {
    return tools;
  }

  /** Their tags, in the same order. */
  public List<ToolTags> tags() {
    return tags;
  }

  /** Their names, in the same order. */
  public List<String> names() {
    return tags.stream().map(ToolTags::name).toList();
  }

  public int size() {
    return tools.size();
  }

  /** The closing call tags, one per tool: the rollout engine's stop strings. */
  public List<String> callCloses() {
    return List.copyOf(byCallClose.keySet());
  }

  /** The tool whose closing call tag is {@code stop}; an error names the tags it knows. */
  public Tool byCallClose(String stop) {
    Tool t = byCallClose.get(stop);
    if (t == null) {
      throw new IllegalArgumentException(
          "no registered tool closes its call with "
              + stop
              + "; registered: "
              + byCallClose.keySet());
    }
    return t;
  }

  /** The tool named {@code name}, or an error that lists the registered names. */
  public Tool byName(String name) {
    for (Tool t : tools) if (t.name().equals(name)) return t;
    throw new IllegalArgumentException("no tool named '" + name + "'; registered: " + names());
  }

  /**
   * The text of a document by id from the first tool that knows it (for hop diagnostics); null when
   * none does.
   */
  public String passage(String id) {
    for (Tool t : tools) {
      String p = t.passage(id);
      if (p != null) return p;
    }
    return null;
  }

  /** True when this is the paper's setup: the search tool's tags alone. */
  public boolean searchOnly() {
    return tags.equals(List.of(ToolTags.SEARCH));
  }

  @Override
  public String toString() {
    return "Tools" + names();
  }
}
