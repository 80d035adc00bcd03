package org.research4j.grpo.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.search.flashrag.OnMalformed;
import org.research4j.search.flashrag.QaExample;
import org.research4j.search.flashrag.QaFormat;
import org.research4j.transformer.tokenizer.ChatTemplate;
import org.research4j.transformer.tokenizer.Tokenizer;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * What the evaluating commands ({@code eval}, {@code passk}) read the same way: a checkpoint's
 * tokenizer, the questions, and the agent's prompt for {@code --prompt} (the choices themselves are
 * {@link SharedOptions} mixins). Bad input is a {@link ParameterException}, reported with the
 * command's usage.
 */
final class CommandInputs {
  private CommandInputs() {}

  static Tokenizer tokenizer(CommandLine cl, Path modelDir) throws IOException {
    Path file = modelDir.resolve("tokenizer.json");
    if (!Files.exists(file)) {
      throw new ParameterException(
          cl,
          "no tokenizer.json in "
              + modelDir
              + "; --model must be a Hugging Face checkpoint directory with its tokenizer");
    }
    return Tokenizer.load(file);
  }

  /**
   * The first {@code limit} questions of {@code qa} (all for 0); malformed lines fail with
   * file:line.
   */
  static List<QaExample> questions(CommandLine cl, Path qa, int limit) throws IOException {
    if (!Files.isRegularFile(qa)) throw new ParameterException(cl, "--qa: no file " + qa);
    List<QaExample> questions = QaFormat.readAll(qa, OnMalformed.FAIL);
    if (limit > 0 && limit < questions.size()) questions = questions.subList(0, limit);
    if (questions.isEmpty()) throw new ParameterException(cl, qa + " holds no questions");
    return questions;
  }

  /**
   * The agent's prompt for {@code --prompt}: tags, the question alone for a model trained on the
   * ReSearch format; instructed, the format explained in {@code chat}'s system turn.
   */
  static PromptTemplate agentPrompt(AgentPrompt prompt, ChatTemplate chat) {
    return prompt == AgentPrompt.TAGS ? PromptTemplate.bare() : PromptTemplate.instructed(chat);
  }
}
