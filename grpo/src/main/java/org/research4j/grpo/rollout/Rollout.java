package org.research4j.grpo.rollout;

/**
 * One finished response. {@code trained[i]} is false for the tokens a tool inserted (the result
 * tags included), which are kept out of the loss and the KL term; {@code finished} is true when the
 * model ended the response itself (EOS) rather than running out of length or tool calls.
 */
public record Rollout(
    int[] prompt, int[] response, boolean[] trained, String text, boolean finished, int toolCalls) {

  public Rollout {
    if (response.length != trained.length) {
      throw new IllegalArgumentException(
          "rollout: " + response.length + " response tokens but " + trained.length + " mask entries");
    }
  }
}
