package org.research4j.grpo.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.research4j.grpo.tool.CodeTool;
import org.research4j.grpo.tool.SearchTool;
import org.research4j.grpo.tool.Tool;
import org.research4j.grpo.tool.Tools;
import org.research4j.search.index.Searcher;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The tools a command's agent may call, by name ({@code --tools search,code}), and the code tool's
 * limits. Shared by {@code train} and {@code eval} as a picocli mixin; with the default ({@code
 * search}) the agent is the paper's.
 */
final class ToolOptions {
  /** The tools {@code --tools} knows, in the order they are registered. */
  static final List<String> KNOWN = List.of("search", "code");

  @Option(
      names = "--tools",
      split = ",",
      defaultValue = "search",
      description =
          "Tools the agent"
              + " may call, by name: search (the BM25 index, <search>) and code (a sandboxed JavaScript"
              + " interpreter, <code>); both answer in <result> (default: ${DEFAULT-VALUE}).")
  List<String> names;

  @Option(
      names = "--code-timeout-ms",
      defaultValue = "3000",
      description = "Wall time per program of the code tool (default: ${DEFAULT-VALUE}).")
  long codeTimeoutMs;

  @Option(
      names = "--code-max-statements",
      defaultValue = "100000",
      description = "Statements per program of the code tool (default: ${DEFAULT-VALUE}).")
  long codeStatements;

  @Option(
      names = "--code-output-chars",
      defaultValue = "400",
      description = "The code tool's output cap in characters (default: ${DEFAULT-VALUE}).")
  int codeOutputChars;

  /** The names, checked: known, no repeats, at least one; in the order given. */
  List<String> names(CommandLine cl) {
    Set<String> seen = new LinkedHashSet<>();
    for (String n : names) {
      String name = n.strip();
      if (!KNOWN.contains(name)) {
        throw new ParameterException(
            cl, "--tools: unknown tool '" + name + "'; known: " + String.join(", ", KNOWN));
      }
      if (!seen.add(name)) throw new ParameterException(cl, "--tools: " + name + " named twice");
    }
    if (seen.isEmpty()) throw new ParameterException(cl, "--tools: name at least one tool");
    return List.copyOf(seen);
  }

  /** The code tool's limits from the options; bad values are reported with the option's name. */
  CodeTool.Limits codeLimits(CommandLine cl) {
    try {
      return CodeTool.Limits.defaults()
          .withWallTime(Duration.ofMillis(codeTimeoutMs))
          .withStatements(codeStatements)
          .withOutputChars(codeOutputChars);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(
          cl,
          "--code-timeout-ms, --code-max-statements," + " --code-output-chars: " + e.getMessage());
    }
  }

  /**
   * The registry for the named tools: {@code search} over {@code searcher} with {@code topK}
   * passages, {@code code} with the limits above. The caller closes the code tool ({@link #close}).
   */
  Tools build(CommandLine cl, Searcher searcher, int topK) {
    CodeTool.Limits limits = names(cl).contains("code") ? codeLimits(cl) : null;
    List<Tool> tools = new ArrayList<>();
    for (String name : names(cl)) {
      tools.add(
          switch (name) {
            case "search" -> new SearchTool(searcher, topK);
            case "code" -> new CodeTool(limits);
            default -> throw new IllegalStateException(name);
          });
    }
    return Tools.of(tools);
  }

  /** Closes the tools of {@code tools} that hold resources (the code tool's engine and threads). */
  static void close(Tools tools) {
    for (Tool t : tools.list())
      if (t instanceof AutoCloseable c) {
        try {
          c.close();
        } catch (Exception e) {
          throw new IllegalStateException("closing tool " + t.name(), e);
        }
      }
  }
}
