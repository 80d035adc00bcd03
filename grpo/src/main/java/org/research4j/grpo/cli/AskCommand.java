package org.research4j.grpo.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.grpo.rollout.RolloutEngine;
import org.research4j.grpo.rollout.TraceTurns;
import org.research4j.grpo.run.RunCheckpoints;
import org.research4j.transformer.generate.SamplingConfig;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code research ask}: a person asks the search agent a question and watches it answer, each turn
 * printed as it is generated (think, search query, the passages it got back shortened, the answer),
 * then the answer and its searches summarised. Without {@code --model} and {@code --index} it asks
 * the demo's agent ({@code runs/demo}: the GRPO checkpoint, else the warm start, and the demo's
 * index).
 */
@Command(
    name = "ask",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Ask the search agent a question (or several, one per line on standard input)"
          + " and watch it answer turn by turn. Defaults to the demo's model and index (runs/demo)."
    })
public final class AskCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(
      arity = "0..*",
      paramLabel = "QUESTION",
      description =
          "The question; without it," + " questions are read one per line from standard input.")
  List<String> words = new ArrayList<>();

  @Option(
      names = "--run",
      defaultValue = "runs/demo",
      description = "Demo run directory the defaults come" + " from (default: ${DEFAULT-VALUE}).")
  Path run;

  @Option(
      names = "--model",
      description =
          "Checkpoint directory (default: the run's latest GRPO"
              + " checkpoint, else its latest warm-start checkpoint).")
  Path modelDir;

  @Option(
      names = "--index",
      description = "Lucene index (default: the run's index, unless --search-url).")
  Path index;

  @Option(
      names = "--search-url",
      description = "Retrieval server instead of an index (POST /batch_search).")
  String searchUrl;

  @Option(
      names = "--topk",
      defaultValue = "1",
      description = "Passages per search (default: ${DEFAULT-VALUE}," + " the demo's).")
  int topK;

  @Mixin SharedOptions.Prompt prompt = new SharedOptions.Prompt();

  @Mixin SharedOptions.Chat chat = new SharedOptions.Chat();

  @Option(
      names = {"--max-completion-length", "--max-tokens"},
      defaultValue = "512",
      description = "Response budget, results included (default: ${DEFAULT-VALUE}).")
  int maxTokens;

  @Option(
      names = {"--max-tool-calls", "--max-searches"},
      defaultValue = "4",
      description = "Most searches (default: ${DEFAULT-VALUE}).")
  int maxSearches;

  @Option(
      names = "--temperature",
      defaultValue = "0",
      description = "0 is greedy (default: ${DEFAULT-VALUE}).")
  double temperature;

  @Mixin SharedOptions.Seed seed = new SharedOptions.Seed();

  @Option(
      names = "--passage-chars",
      defaultValue = "160",
      description =
          "Each retrieved passage shown"
              + " up to this many characters (default: ${DEFAULT-VALUE}).")
  int passageChars;

  @Mixin SharedOptions.Device device = new SharedOptions.Device();

  @Mixin SharedOptions.Weights weights = new SharedOptions.Weights();

  @Mixin SharedOptions.KvCache kvCache = new SharedOptions.KvCache();

  @Override
  public Integer call() throws Exception {
    if (maxTokens < 1 || maxSearches < 0 || passageChars < 10 || !(temperature >= 0)) {
      throw new ParameterException(
          spec.commandLine(),
          "need "
              + SharedOptions.typed(spec, "--max-completion-length")
              + " >= 1, "
              + SharedOptions.typed(spec, "--max-tool-calls")
              + " >= 0,"
              + " --passage-chars >= 10 and --temperature >= 0");
    }
    Path model = modelDir != null ? modelDir : demoModel();
    Path idx = index != null || searchUrl != null ? index : run.resolve("index");
    Tokenizer tok = CommandInputs.tokenizer(spec.commandLine(), model);
    PromptTemplate template = CommandInputs.agentPrompt(prompt.style, chat.template());
    PrintWriter out = spec.commandLine().getOut();
    try (SearchToolOptions search =
            SearchToolOptions.open(spec.commandLine(), idx, searchUrl, topK);
        Qwen2Model m = kvCache.apply(Qwen2Model.load(device.open(), model, weights.precision))) {
      Set<Integer> eos = StopTokens.of(model, m.config(), tok);
      RolloutEngine engine = new RolloutEngine(m, tok, search.tool(), eos);
      RolloutEngine.Config config =
          new RolloutEngine.Config(
              maxTokens,
              maxSearches,
              new SamplingConfig(temperature, 1, 0, seed.seed, List.of(), Set.of()));
      if (!words.isEmpty()) {
        ask(engine, config, template, tok, String.join(" ", words), out);
        return 0;
      }
      BufferedReader in =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      out.print("question> ");
      out.flush();
      for (String line; (line = in.readLine()) != null; ) {
        if (!line.isBlank()) ask(engine, config, template, tok, line, out);
        out.print("question> ");
        out.flush();
      }
      out.println();
      out.flush();
    }
    return 0;
  }

  private Path demoModel() throws java.io.IOException {
    for (String stage : List.of("grpo", "sft")) {
      Optional<RunCheckpoints.Saved> latest = new RunCheckpoints(run.resolve(stage), 1).latest();
      if (latest.isPresent()) return latest.get().modelDir();
    }
    throw new ParameterException(
        spec.commandLine(),
        "no checkpoint under "
            + run.resolve("grpo")
            + " or "
            + run.resolve("sft")
            + "; run `research demo` first, or give --model and --index");
  }

  private void ask(
      RolloutEngine engine,
      RolloutEngine.Config config,
      PromptTemplate template,
      Tokenizer tok,
      String question,
      PrintWriter out) {
    int[] prompt = tok.encode(template.render(question));
    int room = maxTokens;
    RolloutEngine.Listener printer =
        new RolloutEngine.Listener() {
          @Override
          public void generated(int seq, String text) {
            for (TraceTurns.Turn t : TraceTurns.of(text)) {
              out.printf("%-8s %s%s%n", label(t.kind()), t.text(), t.closed() ? "" : " …");
            }
            out.flush();
          }

          @Override
          public void toolResult(int seq, String query, String inserted) {
            for (TraceTurns.Turn t : TraceTurns.of(inserted)) {
              for (String passage : t.text().split("\n")) {
                if (!passage.isBlank()) out.printf("%-8s %s%n", "result", shorten(passage.strip()));
              }
            }
            out.flush();
          }
        };
    long start = System.nanoTime();
    Rollout r = engine.run(List.of(prompt), null, config, printer).getFirst();
    String answer = TraceTurns.answer(r.text());
    List<String> searches = TraceTurns.searches(r.text());
    out.printf(
        "%nanswer: %s%n",
        answer == null
            ? "(none: "
                + (r.finished()
                    ? "the model ended without" + " an answer"
                    : "the " + room + "-token budget ran out")
                + ")"
            : answer);
    out.printf(
        "searches: %d%s (%d tokens, %.1f s)%n%n",
        searches.size(),
        searches.isEmpty() ? "" : ": " + String.join(" | ", searches),
        r.response().length,
        (System.nanoTime() - start) / 1e9);
    out.flush();
  }

  private static String label(String kind) {
    return kind.equals("text") ? "" : kind;
  }

  private String shorten(String passage) {
    return passage.length() <= passageChars
        ? passage
        : passage.substring(0, passageChars - 1) + "…";
  }
}
