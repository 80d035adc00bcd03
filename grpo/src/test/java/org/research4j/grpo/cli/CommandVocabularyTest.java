package org.research4j.grpo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.research4j.grpo.train.LossType;
import org.research4j.search.cli.SearchMain;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * One command-line vocabulary: a setting has one canonical name in every command that has it, every
 * older name still parses to the same value as the canonical one, choices are listed in {@code
 * --help} with the canonical name shown before its aliases, and a bad choice is refused with the
 * option's name.
 */
class CommandVocabularyTest {

  /** The commands compared, each with the arguments it requires. */
  private static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

  private record Command(Supplier<Object> create, List<String> required) {}

  static {
    COMMANDS.put("demo", new Command(DemoCommand::new, List.of()));
    COMMANDS.put(
        "train",
        new Command(
            TrainCommand::new,
            List.of("--model", "m", "--index", "i", "--train", "t.jsonl", "--out", "o")));
    COMMANDS.put(
        "eval",
        new Command(EvalCommand::new, List.of("--model", "m", "--index", "i", "--qa", "q.jsonl")));
    COMMANDS.put(
        "passk",
        new Command(PassKCommand::new, List.of("--model", "m", "--index", "i", "--qa", "q.jsonl")));
    COMMANDS.put("serve-model", new Command(ServeModelCommand::new, List.of("--model", "m")));
    COMMANDS.put("ask", new Command(AskCommand::new, List.of()));
  }

  /**
   * Settings by canonical name: for each command that has the setting, a name it is known by there
   * (the old one where it was renamed).
   */
  private static final Map<String, Map<String, String>> SETTINGS = new LinkedHashMap<>();

  private static void setting(String canonical, String... commandAndName) {
    Map<String, String> byCommand = new LinkedHashMap<>();
    for (int i = 0; i < commandAndName.length; i += 2)
      byCommand.put(commandAndName[i], commandAndName[i + 1]);
    SETTINGS.put(canonical, byCommand);
  }

  static {
    setting(
        "--device",
        "demo",
        "--device",
        "train",
        "--device",
        "eval",
        "--device",
        "passk",
        "--device",
        "serve-model",
        "--device",
        "ask",
        "--device");
    setting(
        "--model",
        "train",
        "--model",
        "eval",
        "--model",
        "passk",
        "--model",
        "serve-model",
        "--model",
        "ask",
        "--model");
    setting(
        "--index",
        "train",
        "--index",
        "eval",
        "--index",
        "passk",
        "--index",
        "serve-model",
        "--index",
        "ask",
        "--index");
    setting(
        "--chat-template",
        "train",
        "--chat-template",
        "eval",
        "--chat",
        "passk",
        "--chat",
        "serve-model",
        "--chat",
        "ask",
        "--chat");
    setting(
        "--prompt",
        "train",
        "--prompt",
        "eval",
        "--prompt",
        "passk",
        "--prompt",
        "serve-model",
        "--prompt",
        "ask",
        "--prompt");
    setting(
        "--seed", "demo", "--seed", "train", "--seed", "eval", "--seed", "passk", "--seed", "ask",
        "--seed");
    setting(
        "--topk",
        "demo",
        "--topk",
        "train",
        "--topk",
        "eval",
        "--topk",
        "passk",
        "--topk",
        "serve-model",
        "--topk",
        "ask",
        "--topk");
    setting("--tools", "train", "--tools", "eval", "--tools");
    setting(
        "--max-completion-length",
        "demo",
        "--max-response-tokens",
        "train",
        "--max-completion-length",
        "eval",
        "--max-new-tokens",
        "passk",
        "--max-completion-length",
        "serve-model",
        "--max-tokens",
        "ask",
        "--max-tokens");
    setting(
        "--max-tool-calls",
        "train",
        "--max-tool-calls",
        "eval",
        "--max-searches",
        "passk",
        "--max-tool-calls",
        "serve-model",
        "--max-searches",
        "ask",
        "--max-searches");
    setting("--num-generations", "demo", "--num-generations", "train", "--num-generations");
    setting("--questions-per-step", "demo", "--grpo-questions", "train", "--questions-per-step");
    setting("--loss-type", "demo", "--loss-type", "train", "--loss-type");
    setting("--scale-rewards", "demo", "--scale-rewards", "train", "--scale-rewards");
    setting("--dynamic-sampling", "demo", "--dynamic-sampling", "train", "--dynamic-sampling");
    setting("--pass-rate-filter", "demo", "--pass-rate-filter", "train", "--pass-rate-filter");
    setting(
        "--temperature", "demo", "--temperature", "train", "--temperature", "ask", "--temperature");
    setting("--samples", "demo", "--samples", "eval", "--samples", "passk", "--n");
    setting(
        "--eval-questions",
        "demo",
        "--eval-questions",
        "train",
        "--eval-questions",
        "eval",
        "--limit");
    setting("--pass-k-questions", "demo", "--pass-k-questions", "passk", "--questions");
    setting("--judge-url", "demo", "--judge-url", "eval", "--judge-url");
    setting("--out", "demo", "--out", "train", "--out", "eval", "--out", "passk", "--out");
  }

  /** Renamed options: command, canonical name, old names, a value to give. */
  private static final List<List<String>> RENAMED =
      List.of(
          List.of("demo", "--questions-per-step", "--grpo-questions", "3"),
          List.of("demo", "--max-completion-length", "--max-response-tokens", "300"),
          List.of("demo", "--sft-learning-rate", "--learning-rate", "0.002"),
          List.of("eval", "--eval-questions", "--limit", "7"),
          List.of("eval", "--chat-template", "--chat", "qwen3"),
          List.of("eval", "--max-completion-length", "--max-new-tokens", "99"),
          List.of("eval", "--max-tool-calls", "--max-searches", "3"),
          List.of("passk", "--samples", "--n", "6"),
          List.of("passk", "--pass-k-questions", "--questions", "2"),
          List.of("passk", "--chat-template", "--chat", "qwen3"),
          List.of("serve-model", "--chat-template", "--chat", "qwen3"),
          List.of("serve-model", "--max-completion-length", "--max-tokens", "64"),
          List.of("serve-model", "--max-tool-calls", "--max-searches", "2"),
          List.of("ask", "--chat-template", "--chat", "qwen3"),
          List.of("ask", "--max-completion-length", "--max-tokens", "64"),
          List.of("ask", "--max-tool-calls", "--max-searches", "2"));

  private static CommandLine parse(String command, String... args) {
    Command c = COMMANDS.get(command);
    CommandLine cl = new CommandLine(c.create().get());
    List<String> all = new ArrayList<>(c.required());
    all.addAll(Arrays.asList(args));
    cl.parseArgs(all.toArray(String[]::new));
    return cl;
  }

  private static Object value(String command, String option, String... args) {
    return parse(command, args).getCommandSpec().findOption(option).getValue();
  }

  @Test
  void everySettingHasOneCanonicalNameAcrossCommands() {
    SETTINGS.forEach(
        (canonical, byCommand) ->
            byCommand.forEach(
                (command, name) -> {
                  CommandSpec spec =
                      new CommandLine(COMMANDS.get(command).create().get()).getCommandSpec();
                  OptionSpec option = spec.findOption(name);
                  assertNotNull(option, command + " has no " + name);
                  assertEquals(
                      canonical, option.names()[0], command + " " + name + " is known first as");
                }));
  }

  @Test
  void everyOldNameParsesToTheSameValueAsTheCanonicalOne() {
    for (List<String> r : RENAMED) {
      String command = r.get(0);
      String canonical = r.get(1);
      String old = r.get(2);
      String v = r.get(3);
      Object viaCanonical = value(command, canonical, canonical, v);
      Object viaOld = value(command, canonical, old, v);
      assertEquals(viaCanonical, viaOld, command + " " + old + " " + v);
      assertEquals(
          viaCanonical, value(command, canonical, old + "=" + v), command + " " + old + "=" + v);
      Object byDefault = value(command, canonical);
      assertTrue(
          !viaCanonical.equals(byDefault),
          command + " " + canonical + " " + v + " differs from the default");
    }
  }

  @Test
  void choiceValuesKeepTheirOldSpellings() {
    assertEquals(AgentPrompt.TAGS, value("train", "--prompt", "--prompt", "bare"));
    assertEquals(AgentPrompt.TAGS, value("eval", "--prompt", "--prompt", "tags"));
    assertEquals(AgentPrompt.INSTRUCTED, value("train", "--prompt"), "train's default");
    assertEquals(AgentPrompt.TAGS, value("eval", "--prompt"), "eval's default");
    assertEquals(ChatTemplateName.CHATML, value("eval", "--chat-template"));
    assertEquals(
        ChatTemplateName.QWEN3, value("train", "--chat-template", "--chat-template", "QWEN3"));
    for (String command : List.of("demo", "train")) {
      assertEquals(LossType.TOKEN_MEAN, value(command, "--loss-type"));
      assertEquals(LossType.TOKEN_MEAN, value(command, "--loss-type", "--loss-type", "bnpo"));
      assertEquals(LossType.SEQ_MEAN, value(command, "--loss-type", "--loss-type", "grpo"));
      assertEquals(LossType.DR_GRPO, value(command, "--loss-type", "--loss-type", "dr_grpo"));
      assertEquals(LossType.DR_GRPO, value(command, "--loss-type", "--loss-type", "dr-grpo"));
    }
  }

  @Test
  void helpListsTheCanonicalNameFirstAndTheChoices() {
    StringWriter out = new StringWriter();
    CommandLine cl = ResearchCli.commandLine();
    cl.setOut(new PrintWriter(out, true));
    assertEquals(0, SearchMain.execute(cl, new String[] {"eval", "--help"}));
    String help = out.toString();
    assertTrue(help.contains("--chat-template, --chat=TEMPLATE"), help);
    assertTrue(help.contains("--max-completion-length, --max-new-tokens=<maxNewTokens>"), help);
    assertTrue(help.contains("Chat template: chatml, qwen3;"), help);
    assertTrue(help.contains("[--chat-template=TEMPLATE]"), "synopsis: " + help);
    assertTrue(!help.contains("[--chat=TEMPLATE]"), "synopsis: " + help);

    StringWriter train = new StringWriter();
    cl = ResearchCli.commandLine();
    cl.setOut(new PrintWriter(train, true));
    assertEquals(0, SearchMain.execute(cl, new String[] {"train", "--help"}));
    assertTrue(train.toString().contains("token-mean, seq-mean, dr_grpo"), train.toString());
    assertTrue(train.toString().contains("One of tags, instructed."), train.toString());
  }

  @Test
  void aBadChoiceIsRefusedWithTheOptionsName() {
    StringWriter err = new StringWriter();
    CommandLine cl = ResearchCli.commandLine();
    cl.setErr(new PrintWriter(err, true));
    int code =
        SearchMain.execute(
            cl,
            new String[] {"eval", "--model", "m", "--index", "i", "--qa", "q", "--chat", "llama"});
    assertEquals(2, code, err.toString());
    assertTrue(
        err.toString().contains("--chat")
            && err.toString().contains("'llama' is not one of chatml, qwen3"),
        err.toString());
    err.getBuffer().setLength(0);
    cl = ResearchCli.commandLine();
    cl.setErr(new PrintWriter(err, true));
    code = SearchMain.execute(cl, new String[] {"demo", "--loss-type", "mean"});
    assertEquals(2, code, err.toString());
    assertTrue(
        err.toString().contains("--loss-type")
            && err.toString().contains("unknown loss type 'mean'"),
        err.toString());
  }
}
