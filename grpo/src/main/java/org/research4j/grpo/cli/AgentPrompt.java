package org.research4j.grpo.cli;

import java.util.List;

/**
 * {@code --prompt}: how the agent (and, in {@code eval}, the baselines) is prompted. {@code train}
 * used to call the first {@code bare}, which is still read.
 */
enum AgentPrompt {
  /**
   * The question alone, for a model trained on the ReSearch format (the demo's); also read as bare.
   */
  TAGS("tags", "bare"),
  /** The format explained in a system turn of the chat template, for instruction-tuned models. */
  INSTRUCTED("instructed");

  private final String id;
  private final List<String> aliases;

  AgentPrompt(String id, String... aliases) {
    this.id = id;
    this.aliases = List.of(aliases);
  }

  @Override
  public String toString() {
    return id;
  }

  /** The converter and the completion candidates of {@code --prompt}. */
  static final class Converter extends ChoiceConverter<AgentPrompt> {
    Converter() {
      super(AgentPrompt.class, AgentPrompt::toString, p -> p.aliases);
    }
  }
}
