package org.research4j.grpo.rollout;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One finished response. {@code trained[i]} is false for the tokens a tool inserted (the result
 * tags included), which are kept out of the loss and the KL term; {@code finished} is true when the
 * model ended the response itself (EOS) rather than running out of length or tool calls. {@code
 * toolCalls} counts the calls of every tool; {@code callsByTool} splits them by tool name (the
 * rollout engine fills it for every registered tool; a rollout made elsewhere may leave it empty,
 * its calls unattributed).
 */
public record Rollout(
    int[] prompt,
    int[] response,
    boolean[] trained,
    String text,
    boolean finished,
    int toolCalls,
    Map<String, Integer> callsByTool) {

  public Rollout {
    if (response.length != trained.length) {
      throw new IllegalArgumentException(
          "rollout: "
              + response.length
              + " response tokens but "
              + trained.length
              + " mask entries");
    }
    callsByTool = Collections.unmodifiableMap(new LinkedHashMap<>(callsByTool));
    if (!callsByTool.isEmpty()) {
      int sum = callsByTool.values().stream().mapToInt(Integer::intValue).sum();
      if (sum != toolCalls) {
        throw new IllegalArgumentException(
            "rollout: " + toolCalls + " tool calls but " + callsByTool + " by tool");
      }
    }
  }

  /** A rollout whose calls are not attributed to tools. */
  public Rollout(
      int[] prompt,
      int[] response,
      boolean[] trained,
      String text,
      boolean finished,
      int toolCalls) {
    this(prompt, response, trained, text, finished, toolCalls, Map.of());
  }

  /** The calls of the tool named {@code tool}; 0 when it made none or they are not attributed. */
  public int calls(String tool) {
    return callsByTool.getOrDefault(tool, 0);
  }
}
