package org.research4j.grpo.tool;

import java.util.List;

/**
 * A tool the model calls by writing {@code callOpen() + input + callClose()}; its answer is
 * inserted as {@code resultOpen() + output + resultClose()}. Calls arrive in batches (one input
 * per sequence that stopped at a call), so a tool can serve them together.
 */
public interface Tool {

  String callOpen();

  String callClose();

  String resultOpen();

  String resultClose();

  /** One output per input, in order. Must be thread-safe. */
  List<String> call(List<String> inputs);

  /**
   * The text of a document the tool can return, by id, for diagnostics that check whether a
   * needed document came back; null when the tool has none or does not know.
   */
  default String passage(String id) {
    return null;
  }
}
