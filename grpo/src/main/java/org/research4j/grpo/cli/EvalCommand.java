package org.research4j.grpo.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Function;
import org.research4j.grpo.eval.Evaluation;
import org.research4j.grpo.eval.HopDiagnostics;
import org.research4j.grpo.eval.QaMethod;
import org.research4j.grpo.eval.ResponseSampler;
import org.research4j.grpo.eval.Scoring;
import org.research4j.grpo.eval.SelfConsistency;
import org.research4j.grpo.eval.baselines.BaselineModel;
import org.research4j.grpo.eval.baselines.Ircot;
import org.research4j.grpo.eval.baselines.IterRetGen;
import org.research4j.grpo.eval.baselines.NaiveGeneration;
import org.research4j.grpo.eval.baselines.NaiveRag;
import org.research4j.grpo.eval.baselines.PromptStyle;
import org.research4j.grpo.judge.JudgedScores;
import org.research4j.grpo.judge.LlmJudge;
import org.research4j.grpo.reward.FormatRule;
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.grpo.rollout.RolloutEngine;
import org.research4j.grpo.tool.SearchTool;
import org.research4j.grpo.tool.Tools;
import org.research4j.search.flashrag.QaExample;
import org.research4j.search.index.Searcher;
import org.research4j.transformer.generate.SamplingConfig;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.tokenizer.ChatTemplate;
import org.research4j.transformer.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The paper's comparison: the ReSearch agent and its baselines (Naive Generation, Naive RAG,
 * Iter-RetGen, IRCoT) on the same model, search index and questions, greedy, and on request
 * self-consistency (the agent sampled {@code --samples} times at temperature 1, majority answer),
 * every answer read and scored the same way ({@link Scoring#LENIENT}: a well-formed response's
 * boxed answer, else the answer read out of the text), in a table of exact match, F1, format rate,
 * retrievals and tokens per method, overall and per question type. {@code --tools} gives the agent
 * (and self-consistency) more tools than search, as {@code train} does; the baselines always
 * search, and every method is scored under the format rule of the agent's tools.
 */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Evaluate the ReSearch agent and the paper's baselines on a QA file.")
public final class EvalCommand implements Callable<Integer> {
  /** The methods by their command-line names, in table order. */
  static final List<String> METHODS =
      List.of("research", "naive-gen", "naive-rag", "iter-retgen", "ircot", "self-consistency");

  @Spec CommandSpec spec;

  @Mixin ToolOptions toolOptions;

  @Mixin SharedOptions.Model model = new SharedOptions.Model();

  @Mixin SharedOptions.Index index = new SharedOptions.Index();

  @Option(
      names = "--qa",
      required = true,
      description = "FlashRAG QA jsonl (id, question, golden_answers).")
  Path qa;

  @Option(
      names = "--methods",
      split = ",",
      defaultValue = "research,naive-gen,naive-rag,iter-retgen,ircot",
      description =
          "Comma list of: research, naive-gen, naive-rag, iter-retgen, ircot, self-consistency"
              + " (default: all but self-consistency, which costs --samples agent runs per question).")
  List<String> methods;

  @Option(
      names = "--topk",
      defaultValue = "5",
      description = "Passages per retrieval (default: ${DEFAULT-VALUE}).")
  int topK;

  @Option(
      names = {"--eval-questions", "--limit"},
      defaultValue = "0",
      description = "First N questions only; 0 for all (default).")
  int limit;

  /**
   * Also the baselines' prompt: tags prefills the ReSearch format, instructed explains the task.
   */
  @Mixin SharedOptions.Prompt prompt = new SharedOptions.Prompt();

  @Mixin SharedOptions.Chat chat = new SharedOptions.Chat();

  @Option(
      names = {"--max-completion-length", "--max-new-tokens"},
      defaultValue = "512",
      description =
          "Agent: response budget, search results included; baselines: tokens the model may"
              + " draw per question (default: ${DEFAULT-VALUE}).")
  int maxNewTokens;

  @Option(
      names = {"--max-tool-calls", "--max-searches"},
      defaultValue = "8",
      description =
          "Agent: most tool calls per response, all tools together (default: ${DEFAULT-VALUE}).")
  int maxSearches;

  @Option(
      names = "--rounds",
      defaultValue = "" + IterRetGen.DEFAULT_ROUNDS,
      description = "Iter-RetGen rounds (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(
      names = "--ircot-steps",
      defaultValue = "" + Ircot.DEFAULT_MAX_STEPS,
      description = "IRCoT: most retrievals after the first (default: ${DEFAULT-VALUE}).")
  int ircotSteps;

  @Option(
      names = "--ircot-passages",
      defaultValue = "" + Ircot.DEFAULT_MAX_PASSAGES,
      description = "IRCoT: most passages shown in all (default: ${DEFAULT-VALUE}).")
  int ircotPassages;

  @Option(
      names = "--samples",
      defaultValue = "32",
      description =
          "Self-consistency: agent responses"
              + " per question, at temperature 1, voted on (default: ${DEFAULT-VALUE}).")
  int samples;

  /** Self-consistency's sampling seed. */
  @Mixin SharedOptions.Seed seed = new SharedOptions.Seed();

  @Option(
      names = "--batch",
      defaultValue = "16",
      description = "Questions per batch (default: ${DEFAULT-VALUE}).")
  int batch;

  @Mixin SharedOptions.Device device = new SharedOptions.Device();

  @Mixin SharedOptions.Weights weights = new SharedOptions.Weights();

  @Mixin SharedOptions.KvCache kvCache = new SharedOptions.KvCache();

  @Option(
      names = "--out",
      description = "Write per-question results and the summaries here (JSONL).")
  Path out;

  @Mixin JudgeOptions judgeOptions = new JudgeOptions();

  /** LJ per method when a judge is configured, else empty. */
  private final Map<String, JudgedScores> judged = new LinkedHashMap<>();

  private final PrintStream log = System.err;

  @Override
  public Integer call() throws Exception {
    validate();
    Tokenizer tok = CommandInputs.tokenizer(spec.commandLine(), model.dir);
    List<QaExample> questions = CommandInputs.questions(spec.commandLine(), qa, limit);
    ChatTemplate template = chat.template();
    boolean tags = prompt.style == AgentPrompt.TAGS;
    Map<String, List<Evaluation.Outcome>> results = new LinkedHashMap<>();
    LlmJudge judge = judgeOptions.open(spec.commandLine());
    try (judge;
        Qwen2Model model =
            kvCache.apply(Qwen2Model.load(device.open(), this.model.dir, weights.precision));
        Searcher searcher = Searcher.open(index.dir)) {
      Tools tools = toolOptions.build(spec.commandLine(), searcher, topK);
      try {
        evaluate(model, tok, searcher, tools, template, tags, questions, results, judge);
      } finally {
        ToolOptions.close(tools);
      }
    }
    return 0;
  }

  private void evaluate(
      Qwen2Model model,
      Tokenizer tok,
      Searcher searcher,
      Tools tools,
      ChatTemplate template,
      boolean tags,
      List<QaExample> questions,
      Map<String, List<Evaluation.Outcome>> results,
      LlmJudge judge)
      throws IOException {
    PromptTemplate agentPrompt =
        tools.searchOnly() || tags
            ? CommandInputs.agentPrompt(prompt.style, template)
            : PromptTemplate.instructed(template, tools);
    FormatRule rule = FormatRule.of(tools);
    Set<Integer> eos = StopTokens.of(this.model.dir, model.config(), tok);
    SearchTool tool =
        tools.names().contains("search")
            ? (SearchTool) tools.byName("search")
            : new SearchTool(searcher, topK);
    RolloutEngine engine = new RolloutEngine(model, tok, tools, eos);
    BaselineModel baseline =
        new BaselineModel(
            model,
            tok,
            eos,
            tags ? PromptStyle.tags() : PromptStyle.instructed(template),
            new BaselineModel.Config(maxNewTokens, SamplingConfig.greedy()));
    for (String name : methods) {
      QaMethod method =
          switch (name) {
            case "research" ->
                Evaluation.agent(
                    engine,
                    new RolloutEngine.Config(maxNewTokens, maxSearches, SamplingConfig.greedy()),
                    agentPrompt,
                    tok);
            case "naive-gen" -> new NaiveGeneration(baseline);
            case "naive-rag" -> new NaiveRag(baseline, tool::hits);
            case "iter-retgen" -> new IterRetGen(baseline, tool::hits, rounds);
            case "ircot" -> new Ircot(baseline, tool::hits, ircotSteps, ircotPassages);
            case "self-consistency" ->
                new SelfConsistency(
                    ResponseSampler.agent(
                        engine, maxNewTokens, maxSearches, agentPrompt, tok, seed.seed),
                    samples);
            default -> throw new IllegalStateException(name);
          };
      int total = questions.size();
      long start = System.nanoTime();
      results.put(
          name,
          Evaluation.run(
              method,
              Scoring.LENIENT,
              rule,
              questions,
              batch,
              done -> log.printf("  %s %d/%d%n", name, done, total)));
      log.printf("%s: %.1f s%n", name, (System.nanoTime() - start) / 1e9);
      if (judge != null) {
        long t = System.nanoTime();
        judged.put(name, JudgedScores.of(judge, results.get(name), rule));
        log.printf("%s judged: %.1f s%n", name, (System.nanoTime() - t) / 1e9);
      }
    }
    printTable(results, tool::passage);
    if (judge != null) {
      spec.commandLine().getOut().printf("%n%s%n", JudgeOptions.report(judge, judgeOptions.model));
      spec.commandLine().getOut().flush();
    }
    if (out != null) write(results, tool::passage, rule);
  }

  private void validate() {
    for (String m : methods) {
      if (!METHODS.contains(m)) {
        throw new ParameterException(
            spec.commandLine(), "unknown method '" + m + "' in --methods; use " + METHODS);
      }
    }
    toolOptions.names(spec.commandLine());
    if (topK < 1
        || batch < 1
        || maxNewTokens < 1
        || rounds < 1
        || ircotSteps < 0
        || ircotPassages < 1
        || samples < 1) {
      throw new ParameterException(
          spec.commandLine(),
          "need --topk, --batch, "
              + SharedOptions.typed(spec, "--max-completion-length")
              + ", --rounds,"
              + " --ircot-passages, --samples >= 1 and --ircot-steps >= 0");
    }
  }

  private void printTable(
      Map<String, List<Evaluation.Outcome>> results, Function<String, String> passages) {
    PrintWriter w = spec.commandLine().getOut();
    ResultsReport.methodsByType(w, results, judged);
    w.printf(
        "%nwhere the hops fail (rates over every hop of every question; read = of the hops whose"
            + " answer was retrieved)%n");
    Map<String, HopDiagnostics.Summary> diagnostics = new LinkedHashMap<>();
    results.forEach(
        (name, outcomes) -> diagnostics.put(name, HopDiagnostics.summary(outcomes, passages)));
    ResultsReport.hops(w, diagnostics);
  }

  /**
   * One line per (method, question), then one summary line per (method, type) and (method, all).
   */
  private void write(
      Map<String, List<Evaluation.Outcome>> results,
      Function<String, String> passages,
      FormatRule rule)
      throws IOException {
    ResultsReport.writeJsonl(out, results, judged, passages, rule);
    log.println("results written to " + out);
  }
}
