package org.research4j.grpo.tool;

import java.util.regex.Pattern;

/**
 * The tags of one tool, all the format rule needs to know of it: the model writes {@code
 * <callName>input</callName>} and the environment answers {@code <resultName>output</resultName>}.
 * {@code name} is the tool's name in prompts, metrics and command-line options (for the paper's
 * search tool the call tag's name, {@code search}). Several tools may share a result tag (search
 * and code both answer in {@code <result>}); call tags are the tool's own.
 */
public record ToolTags(String name, String callName, String resultName) {
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]*");

  public ToolTags {
    check(name, "tool name");
    check(callName, "call tag of tool " + name);
    check(resultName, "result tag of tool " + name);
    if (callName.equals(resultName)) {
      throw new IllegalArgumentException(
          "tool " + name + ": call and result tag are both <" + callName + ">");
    }
  }

  /** The paper's search tool: {@code <search>} answered by {@code <result>}. */
  public static final ToolTags SEARCH = new ToolTags("search", "search", "result");

  public String callOpen() {
    return "<" + callName + ">";
  }

  public String callClose() {
    return "</" + callName + ">";
  }

  public String resultOpen() {
    return "<" + resultName + ">";
  }

  public String resultClose() {
    return "</" + resultName + ">";
  }

  /** The tag name inside {@code <x>} or {@code </x>}, or an error naming what was given. */
  static String tagName(String tag, boolean closing, String what) {
    String prefix = closing ? "</" : "<";
    if (tag == null || !tag.startsWith(prefix) || !tag.endsWith(">")) {
      throw new IllegalArgumentException(
          what + ": expected a tag like " + prefix + "name>, got " + tag);
    }
    return tag.substring(prefix.length(), tag.length() - 1);
  }

  private static void check(String s, String what) {
    if (s == null || !NAME.matcher(s).matches()) {
      throw new IllegalArgumentException(
          what
              + ": must be lower-case letters, digits or _ and"
              + " start with a letter, got "
              + (s == null ? "null" : "'" + s + "'"));
    }
  }
}
