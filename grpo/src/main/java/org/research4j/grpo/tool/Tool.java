package org.research4j.grpo.tool;

import java.util.List;

/**
 * A tool the model calls by writing {@code callOpen() + input + callClose()}; its answer is
 * inserted as {@code resultOpen() + output + resultClose()}. Calls arrive in batches (one input per
 * sequence that stopped at a call), so a tool can serve them together. Tools are registered
 * together in {@link Tools}: the rollout engine stops at any registered tool's closing tag, the
 * format rule accepts any registered tool's blocks, and the instructed prompt lists every tool, so
 * a new tool needs only this interface.
 */
public interface Tool {

  String callOpen();

  String callClose();

  String resultOpen();

  String resultClose();

  /** One output per input, in order. Must be thread-safe. */
  List<String> call(List<String> inputs);

  /**
   * The tool's name in prompts, metrics ({@code calls_NAME}) and options ({@code --tools}); by
   * default the name of its call tag ({@code search} for {@code <search>}).
   */
  default String name() {
    return ToolTags.tagName(callOpen(), false, "call tag");
  }

  /** The tags as the format rule reads them. */
  default ToolTags tags() {
    String call = ToolTags.tagName(callOpen(), false, "call tag of " + getClass().getSimpleName());
    if (!callClose().equals("</" + call + ">")) {
      throw new IllegalArgumentException(
          getClass().getSimpleName()
              + ": closing call tag "
              + callClose()
              + " does not close "
              + callOpen());
    }
    String result = ToolTags.tagName(resultOpen(), false, "result tag of " + name());
    if (!resultClose().equals("</" + result + ">")) {
      throw new IllegalArgumentException(
          getClass().getSimpleName()
              + ": closing result tag "
              + resultClose()
              + " does not close "
              + resultOpen());
    }
    return new ToolTags(name(), call, result);
  }

  /**
   * What the model does with this tool, as a gerund for the instructed prompt's first sentence
   * ("answers questions by reasoning and searching").
   */
  default String activity() {
    return "calling " + name();
  }

  /** The instructed prompt's sentences on how to call this tool and where its answer appears. */
  default String instruction() {
    return "To call "
        + name()
        + ", write its input inside "
        + callOpen()
        + " "
        + callClose()
        + "; its output will appear inside "
        + resultOpen()
        + " "
        + resultClose()
        + ".";
  }

  /**
   * The text of a document the tool can return, by id, for diagnostics that check whether a needed
   * document came back; null when the tool has none or does not know.
   */
  default String passage(String id) {
    return null;
  }
}
