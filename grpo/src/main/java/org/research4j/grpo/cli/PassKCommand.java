package org.research4j.grpo.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.research4j.grpo.cli.report.PassAtKChart;
import org.research4j.grpo.eval.PassAtK;
import org.research4j.grpo.eval.ResponseSampler;
import org.research4j.grpo.rollout.RolloutEngine;
import org.research4j.grpo.tool.SearchTool;
import org.research4j.kernels.Kernels;
import org.research4j.search.flashrag.QaExample;
import org.research4j.search.index.Searcher;
import org.research4j.transformer.checkpoint.AtomicFiles;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code research passk}: the pass@k curves of one or more checkpoints as Yue et al. 2025 measure
 * them ({@link PassAtK}): {@code --samples} (n) agent responses per question at temperature 1, a
 * response correct at F1 >= 0.5, pass@k for k = 1, 2, 4, ..., n. Printed as a table; with {@code
 * --out}, written as {@value #JSON} (curves and per-question counts) and {@value #PNG}.
 */
@Command(
    name = "passk",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "pass@k curves (n samples per question at temperature 1, success F1 >= 0.5).")
public final class PassKCommand implements Callable<Integer> {
  static final String JSON = "passk.json";
  static final String PNG = "passk.png";

  @Spec CommandSpec spec;

  @Option(
      names = "--model",
      required = true,
      description =
          "A Hugging Face checkpoint directory, or"
              + " NAME=DIR to name its curve (default name: the directory's); repeat to compare models.")
  List<String> models;

  @Mixin SharedOptions.Index index = new SharedOptions.Index();

  @Option(
      names = "--qa",
      required = true,
      description = "FlashRAG QA jsonl (id, question, golden_answers).")
  Path qa;

  @Option(
      names = {"--samples", "--n"},
      defaultValue = "32",
      description =
          "Responses per question," + " n; Yue et al. use n >= 32 (default: ${DEFAULT-VALUE}).")
  int n;

  @Option(
      names = {"--pass-k-questions", "--questions"},
      defaultValue = "0",
      description = "First N questions only; 0 for all (default).")
  int limit;

  @Option(
      names = "--topk",
      defaultValue = "5",
      description = "Passages per search (default: ${DEFAULT-VALUE}).")
  int topK;

  @Option(
      names = "--max-completion-length",
      defaultValue = "1024",
      description =
          "Response budget in tokens, search results included (default: ${DEFAULT-VALUE}).")
  int maxCompletion;

  @Option(
      names = "--max-tool-calls",
      defaultValue = "8",
      description = "Searches per response at most (default: ${DEFAULT-VALUE}).")
  int maxCalls;

  @Mixin SharedOptions.Prompt prompt = new SharedOptions.Prompt();

  @Mixin SharedOptions.Chat chat = new SharedOptions.Chat();

  @Mixin SharedOptions.Seed seed = new SharedOptions.Seed();

  @Mixin SharedOptions.Device device = new SharedOptions.Device();

  @Option(names = "--out", description = "Directory to write " + JSON + " and " + PNG + " into.")
  Path out;

  private final PrintStream log = System.err;

  @Override
  public Integer call() throws Exception {
    if (n < 1) {
      throw new ParameterException(
          spec.commandLine(), SharedOptions.typed(spec, "--samples") + " must be >= 1, got " + n);
    }
    if (limit < 0 || topK < 1 || maxCompletion < 1 || maxCalls < 0) {
      throw new ParameterException(
          spec.commandLine(),
          "need "
              + SharedOptions.typed(spec, "--pass-k-questions")
              + " >= 0, --topk >= 1,"
              + " --max-completion-length >= 1 and --max-tool-calls >= 0");
    }
    Map<String, Path> named = named();
    List<QaExample> questions = CommandInputs.questions(spec.commandLine(), qa, limit);
    Kernels kernels = device.open();
    Map<String, PassAtK.Result> results = new LinkedHashMap<>();
    try (Searcher searcher = Searcher.open(index.dir)) {
      SearchTool tool = new SearchTool(searcher, topK);
      for (Map.Entry<String, Path> m : named.entrySet()) {
        String name = m.getKey();
        Tokenizer tok = CommandInputs.tokenizer(spec.commandLine(), m.getValue());
        try (Qwen2Model model = Qwen2Model.load(kernels, m.getValue())) {
          Set<Integer> eos = StopTokens.of(m.getValue(), model.config(), tok);
          ResponseSampler sampler =
              ResponseSampler.agent(
                  new RolloutEngine(model, tok, tool, eos),
                  maxCompletion,
                  maxCalls,
                  CommandInputs.agentPrompt(prompt.style, chat.template()),
                  tok,
                  seed.seed);
          int total = questions.size();
          long start = System.nanoTime();
          results.put(
              name,
              PassAtK.sample(
                  sampler, questions, n, done -> log.printf("  %s %d/%d%n", name, done, total)));
          log.printf("%s: %.1f s%n", name, (System.nanoTime() - start) / 1e9);
        }
      }
    }
    printTable(results);
    if (out != null) write(results, named, questions.size());
    return 0;
  }

  /** {@code --model} values by curve name, in the order given; every directory must exist. */
  private Map<String, Path> named() {
    Map<String, Path> named = new LinkedHashMap<>();
    for (String m : models) {
      int eq = m.indexOf('=');
      Path dir = Path.of(eq < 0 ? m : m.substring(eq + 1));
      String name =
          eq < 0
              ? String.valueOf(dir.toAbsolutePath().normalize().getFileName())
              : m.substring(0, eq);
      if (name.isBlank())
        throw new ParameterException(spec.commandLine(), "--model " + m + ": empty name");
      if (!Files.isDirectory(dir)) {
        throw new ParameterException(spec.commandLine(), "--model " + m + ": no directory " + dir);
      }
      if (named.put(name, dir) != null) {
        throw new ParameterException(
            spec.commandLine(),
            "--model: two curves named '" + name + "'; name them apart with --model NAME=DIR");
      }
    }
    return named;
  }

  private void printTable(Map<String, PassAtK.Result> results) {
    PrintWriter w = spec.commandLine().getOut();
    w.printf("%6s", "k");
    for (String name : results.keySet()) w.printf("  %12s", name);
    w.println();
    for (int k : PassAtK.ks(n)) {
      w.printf("%6d", k);
      for (PassAtK.Result r : results.values()) w.printf("  %12.3f", r.curve().get(k));
      w.println();
    }
    w.flush();
  }

  /** {@value #JSON} and {@value #PNG}, each written whole (temporary file, then rename). */
  private void write(Map<String, PassAtK.Result> results, Map<String, Path> named, int count)
      throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    root.put("qa", qa.toString());
    root.put("questions", count);
    root.put("n", n);
    root.put("temperature", ResponseSampler.TEMPERATURE);
    root.put("success_f1", PassAtK.SUCCESS_F1);
    root.put("seed", seed.seed);
    ArrayNode list = root.putArray("models");
    results.forEach(
        (name, r) -> {
          ObjectNode m = list.addObject();
          m.put("name", name);
          m.put("model", named.get(name).toString());
          ObjectNode curve = m.putObject("pass_at_k");
          r.curve().forEach((k, p) -> curve.put(String.valueOf(k), p));
          ArrayNode counts = m.putArray("correct");
          for (PassAtK.Count c : r.counts())
            counts.addObject().put("id", c.id()).put("correct", c.correct());
        });
    AtomicFiles.writeFile(
        out.resolve(JSON), json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    PassAtKChart.write(results, out.resolve(PNG));
    log.println("written: " + out.resolve(JSON) + ", " + out.resolve(PNG));
  }
}
