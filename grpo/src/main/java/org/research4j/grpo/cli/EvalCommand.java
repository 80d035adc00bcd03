package org.research4j.grpo.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.grpo.rollout.RolloutEngine;
import org.research4j.grpo.tool.SearchTool;
import org.research4j.kernels.Devices;
import org.research4j.search.flashrag.QaExample;
import org.research4j.search.index.Searcher;
import org.research4j.transformer.checkpoint.AtomicFiles;
import org.research4j.transformer.generate.SamplingConfig;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.tokenizer.ChatTemplate;
import org.research4j.transformer.tokenizer.Tokenizer;
import org.research4j.grpo.judge.JudgedScores;
import org.research4j.grpo.judge.LlmJudge;
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
 * every answer read and scored the same way ({@link Scoring#LENIENT}: a well-formed response's boxed answer, else the
 * answer read out of the text), in a table of exact match, F1, format rate, retrievals and tokens
 * per method, overall and per question type.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Evaluate the ReSearch agent and the paper's baselines on a QA file.")
public final class EvalCommand implements Callable<Integer> {
  /** The methods by their command-line names, in table order. */
  static final List<String> METHODS =
      List.of("research", "naive-gen", "naive-rag", "iter-retgen", "ircot", "self-consistency");

  @Spec CommandSpec spec;

  @Option(names = "--model", required = true,
      description = "Hugging Face checkpoint directory (config.json, safetensors, tokenizer.json).")
  Path modelDir;

  @Option(names = "--index", required = true, description = "Lucene index built by `research index`.")
  Path index;

  @Option(names = "--qa", required = true, description = "FlashRAG QA jsonl (id, question, golden_answers).")
  Path qa;

  @Option(names = "--methods", split = ",", defaultValue = "research,naive-gen,naive-rag,iter-retgen,ircot",
      description = "Comma list of: research, naive-gen, naive-rag, iter-retgen, ircot, self-consistency"
          + " (default: all but self-consistency, which costs --samples agent runs per question).")
  List<String> methods;

  @Option(names = "--topk", defaultValue = "5", description = "Passages per retrieval (default: ${DEFAULT-VALUE}).")
  int topK;

  @Option(names = "--limit", defaultValue = "0", description = "First N questions only; 0 for all (default).")
  int limit;

  @Option(names = "--prompt", defaultValue = "tags", description = "tags (the ReSearch format prefilled,"
      + " for a model trained on it, as the demo's) or instructed (an instruction-tuned model told"
      + " the task in its chat template) (default: ${DEFAULT-VALUE}).")
  String prompt;

  @Option(names = "--chat", defaultValue = "chatml", description = "Chat template: chatml (Qwen2/2.5) or qwen3"
      + " (default: ${DEFAULT-VALUE}).")
  String chat;

  @Option(names = "--max-new-tokens", defaultValue = "512", description = "Agent: response budget, search"
      + " results included; baselines: tokens the model may draw per question (default: ${DEFAULT-VALUE}).")
  int maxNewTokens;

  @Option(names = "--max-searches", defaultValue = "8",
      description = "Agent: most search calls per response (default: ${DEFAULT-VALUE}).")
  int maxSearches;

  @Option(names = "--rounds", defaultValue = "" + IterRetGen.DEFAULT_ROUNDS,
      description = "Iter-RetGen rounds (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--ircot-steps", defaultValue = "" + Ircot.DEFAULT_MAX_STEPS,
      description = "IRCoT: most retrievals after the first (default: ${DEFAULT-VALUE}).")
  int ircotSteps;

  @Option(names = "--ircot-passages", defaultValue = "" + Ircot.DEFAULT_MAX_PASSAGES,
      description = "IRCoT: most passages shown in all (default: ${DEFAULT-VALUE}).")
  int ircotPassages;

  @Option(names = "--samples", defaultValue = "32", description = "Self-consistency: agent responses"
      + " per question, at temperature 1, voted on (default: ${DEFAULT-VALUE}).")
  int samples;

  @Option(names = "--seed", defaultValue = "0", description = "Self-consistency: the sampling seed"
      + " (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--batch", defaultValue = "16", description = "Questions per batch (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--device", description = "auto (default), cpu, opencl, opencl:gpu, pocl or opencl:P:D;"
      + " RESEARCH4J_DEVICE sets the default.")
  String device;

  @Option(names = "--out", description = "Write per-question results and the summaries here (JSONL).")
  Path out;

  @Mixin JudgeOptions judgeOptions = new JudgeOptions();

  /** LJ per method when a judge is configured, else empty. */
  private final Map<String, JudgedScores> judged = new LinkedHashMap<>();

  private final PrintStream log = System.err;

  @Override
  public Integer call() throws Exception {
    validate();
    Tokenizer tok = CommandInputs.tokenizer(spec.commandLine(), modelDir);
    List<QaExample> questions = CommandInputs.questions(spec.commandLine(), qa, limit);
    ChatTemplate template = CommandInputs.chat(chat);
    PromptTemplate agentPrompt = CommandInputs.agentPrompt(prompt, template);
    boolean tags = prompt.equals("tags");
    Map<String, List<Evaluation.Outcome>> results = new LinkedHashMap<>();
    LlmJudge judge = judgeOptions.open(spec.commandLine());
    try (judge; Qwen2Model model = Qwen2Model.load(Devices.open(device), modelDir);
        Searcher searcher = Searcher.open(index)) {
      Set<Integer> eos = StopTokens.of(modelDir, model.config(), tok);
      SearchTool tool = new SearchTool(searcher, topK);
      RolloutEngine engine = new RolloutEngine(model, tok, tool, eos);
      BaselineModel baseline = new BaselineModel(model, tok, eos,
          tags ? PromptStyle.tags() : PromptStyle.instructed(template),
          new BaselineModel.Config(maxNewTokens, SamplingConfig.greedy()));
      for (String name : methods) {
        QaMethod method = switch (name) {
          case "research" -> Evaluation.agent(engine,
              new RolloutEngine.Config(maxNewTokens, maxSearches, SamplingConfig.greedy()),
              agentPrompt, tok);
          case "naive-gen" -> new NaiveGeneration(baseline);
          case "naive-rag" -> new NaiveRag(baseline, tool::hits);
          case "iter-retgen" -> new IterRetGen(baseline, tool::hits, rounds);
          case "ircot" -> new Ircot(baseline, tool::hits, ircotSteps, ircotPassages);
          case "self-consistency" -> new SelfConsistency(ResponseSampler.agent(engine, maxNewTokens,
              maxSearches, agentPrompt, tok, seed), samples);
          default -> throw new IllegalStateException(name);
        };
        int total = questions.size();
        long start = System.nanoTime();
        results.put(name, Evaluation.run(method, Scoring.LENIENT, questions, batch,
            done -> log.printf("  %s %d/%d%n", name, done, total)));
        log.printf("%s: %.1f s%n", name, (System.nanoTime() - start) / 1e9);
        if (judge != null) {
          long t = System.nanoTime();
          judged.put(name, JudgedScores.of(judge, results.get(name)));
          log.printf("%s judged: %.1f s%n", name, (System.nanoTime() - t) / 1e9);
        }
      }
      printTable(results, tool::passage);
      if (judge != null) {
        spec.commandLine().getOut().printf("%n%s%n", JudgeOptions.report(judge, judgeOptions.model));
        spec.commandLine().getOut().flush();
      }
      if (out != null) write(results, tool::passage);
    }
    return 0;
  }

  private void validate() {
    for (String m : methods) {
      if (!METHODS.contains(m)) {
        throw new ParameterException(spec.commandLine(), "unknown method '" + m + "' in --methods; use " + METHODS);
      }
    }
    CommandInputs.checkPrompt(spec.commandLine(), prompt, chat);
    if (topK < 1 || batch < 1 || maxNewTokens < 1 || rounds < 1 || ircotSteps < 0 || ircotPassages < 1
        || samples < 1) {
      throw new ParameterException(spec.commandLine(), "need --topk, --batch, --max-new-tokens, --rounds,"
          + " --ircot-passages, --samples >= 1 and --ircot-steps >= 0");
    }
  }

  private void printTable(Map<String, List<Evaluation.Outcome>> results,
      Function<String, String> passages) {
    PrintWriter w = spec.commandLine().getOut();
    w.printf("%-12s %-18s %5s %6s %6s%s %7s %10s %8s %9s%n", "method", "type", "n", "EM", "F1",
        judged.isEmpty() ? "" : String.format(" %6s", "LJ"), "format", "retrievals", "tokens", "generated");
    results.forEach((name, outcomes) -> {
      JudgedScores lj = judged.get(name);
      for (Map.Entry<String, Evaluation.Summary> e : Evaluation.byType(outcomes).entrySet()) {
        row(w, name, e.getKey().isEmpty() ? "-" : e.getKey(), e.getValue(),
            lj == null ? null : lj.byType().get(e.getKey()));
      }
      row(w, name, "all", Evaluation.summary(outcomes), lj == null ? null : lj.all());
    });
    w.printf("%nwhere the hops fail (rates over every hop of every question; read = of the hops whose"
        + " answer was retrieved)%n%-12s %6s %8s %8s %8s %8s%n", "method", "hops", "query", "gold",
        "answer", "read");
    results.forEach((name, outcomes) -> {
      HopDiagnostics.Summary d = HopDiagnostics.summary(outcomes, passages);
      w.printf("%-12s %6.0f %8.3f %8.3f %8.3f %8.3f%n", name, d.get("hops"), d.get("query_entity"),
          d.get("gold_retrieved"), d.get("answer_retrieved"), d.get("read_exact"));
    });
    w.flush();
  }

  /** A table row; {@code lj} null leaves the LJ column out (no judge). */
  private static void row(PrintWriter w, String method, String type, Evaluation.Summary s, Double lj) {
    w.printf("%-12s %-18s %5d %6.3f %6.3f%s %6.0f%% %10.2f %8.0f %9.0f%n", method, type, s.count(),
        s.exactMatch(), s.f1(), lj == null ? "" : String.format(" %6.3f", lj), 100 * s.wellFormed(),
        s.searches(), s.responseTokens(), s.generatedTokens());
  }

  /** One line per (method, question), then one summary line per (method, type) and (method, all). */
  private void write(Map<String, List<Evaluation.Outcome>> results,
      Function<String, String> passages) throws IOException {
    ObjectMapper json = new ObjectMapper();
    if (out.getParent() != null) Files.createDirectories(out.getParent());
    StringBuilder w = new StringBuilder();
    for (Map.Entry<String, List<Evaluation.Outcome>> e : results.entrySet()) {
      JudgedScores lj = judged.get(e.getKey());
      int index = 0;
      for (Evaluation.Outcome o : e.getValue()) {
        LlmJudge.Verdict verdict = lj == null ? null : lj.verdicts().get(index);
        index++;
        ObjectNode n = json.createObjectNode();
        n.put("method", e.getKey());
        n.put("id", o.question().id());
        n.put("question", o.question().question());
        n.put("type", o.question().type());
        n.putPOJO("golden_answers", o.question().goldenAnswers());
        n.put("answer", Scoring.read(o.rollout().text()));
        n.put("em", o.score().exactMatch());
        if (verdict != null) {
          n.put("lj", verdict.correct() ? 1 : 0);
          n.put("lj_verdict", verdict.kind().name().toLowerCase(java.util.Locale.ROOT));
          if (verdict.reply() != null) n.put("lj_reply", verdict.reply());
        }
        n.put("f1", o.score().f1());
        n.put("reward", o.score().reward());
        n.put("well_formed", o.score().verdict().wellFormed());
        if (!o.score().verdict().wellFormed()) n.put("format_problem", o.score().verdict().problem());
        n.put("finished", o.rollout().finished());
        n.put("retrievals", o.rollout().toolCalls());
        n.put("response_tokens", o.rollout().response().length);
        int generated = 0;
        for (boolean t : o.rollout().trained()) generated += t ? 1 : 0;
        n.put("generated_tokens", generated);
        ArrayNode hops = n.putArray("hops");
        for (HopDiagnostics.Hop h : HopDiagnostics.of(o.question(), o.rollout().text(), passages)) {
          ObjectNode hn = hops.addObject();
          hn.put("hop", h.position());
          hn.putPOJO("entities", h.entities());
          hn.put("answer", h.answer());
          hn.put("query_entity", h.queried());
          h.goldRetrieved().ifPresent(g -> hn.put("gold_retrieved", g));
          hn.put("answer_retrieved", h.answerRetrieved());
          hn.put("read_exact", h.read());
        }
        n.put("text", o.rollout().text());
        w.append(json.writeValueAsString(n)).append('\n');
      }
      Map<String, Evaluation.Summary> rows = new LinkedHashMap<>(Evaluation.byType(e.getValue()));
      rows.put("all", Evaluation.summary(e.getValue()));
      for (Map.Entry<String, Evaluation.Summary> r : rows.entrySet()) {
        Evaluation.Summary s = r.getValue();
        ObjectNode n = json.createObjectNode();
        n.put("summary", true);
        n.put("method", e.getKey());
        n.put("type", r.getKey());
        n.put("n", s.count());
        n.put("em", s.exactMatch());
        if (lj != null) {
          Double v = r.getKey().equals("all") ? lj.all() : lj.byType().get(r.getKey());
          if (v != null) n.put("lj", v);
        }
        n.put("f1", s.f1());
        n.put("well_formed", s.wellFormed());
        n.put("retrievals", s.searches());
        n.put("response_tokens", s.responseTokens());
        n.put("generated_tokens", s.generatedTokens());
        if (r.getKey().equals("all")) {
          HopDiagnostics.summary(e.getValue(), passages).rates().forEach((k, v) -> {
            if (!v.isNaN()) n.put("diag_" + k, v);
          });
        }
        w.append(json.writeValueAsString(n)).append('\n');
      }
    }
    AtomicFiles.writeFile(out, w.toString().getBytes(StandardCharsets.UTF_8));
    log.println("results written to " + out);
  }
}
