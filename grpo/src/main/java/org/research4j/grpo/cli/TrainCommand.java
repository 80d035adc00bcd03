package org.research4j.grpo.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.research4j.grpo.eval.Evaluation;
import org.research4j.grpo.reward.FormatRule;
import org.research4j.grpo.reward.ReSearchReward;
import org.research4j.grpo.reward.Reward;
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.grpo.tool.Tools;
import org.research4j.grpo.train.GrpoConfig;
import org.research4j.grpo.train.GrpoTrainer;
import org.research4j.grpo.train.LossType;
import org.research4j.kernels.Kernels;
import org.research4j.search.flashrag.OnMalformed;
import org.research4j.search.flashrag.QaExample;
import org.research4j.search.flashrag.QaFormat;
import org.research4j.search.index.Searcher;
import org.research4j.transformer.checkpoint.CheckpointWriter;
import org.research4j.transformer.checkpoint.Qwen2Config;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.model.WeightPrecision;
import org.research4j.transformer.tokenizer.ChatTemplate;
import org.research4j.transformer.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code research train}: GRPO from a Hugging Face checkpoint, with a Lucene index as the search
 * tool and FlashRAG questions. Option names are TRL's GRPOConfig names in kebab case; defaults are
 * the paper's. A run directory that already holds a checkpoint resumes from it. {@code --tools}
 * chooses the tools the policy may call ({@code search}, the paper's, by default; {@code
 * search,code} adds the sandboxed code interpreter): the prompt lists them, the rollouts stop at
 * any of them and the reward's format rule accepts any of them.
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Train a search agent with GRPO (the ReSearch recipe) from a checkpoint.")
public final class TrainCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin ToolOptions toolOptions;

  /** The initial policy. */
  @Mixin SharedOptions.Model model = new SharedOptions.Model();

  @Mixin SharedOptions.Index index = new SharedOptions.Index();

  @Option(names = "--train", required = true, description = "FlashRAG QA JSONL to train on.")
  Path train;

  @Option(
      names = "--dev",
      description = "FlashRAG QA JSONL evaluated greedily every --eval-every steps.")
  Path dev;

  @Option(
      names = "--out",
      required = true,
      description = "Run directory (metrics.jsonl, checkpoints/).")
  Path out;

  @Option(
      names = "--reference-weights",
      defaultValue = "f32",
      paramLabel = "PRECISION",
      converter = SharedOptions.WeightsConverter.class,
      completionCandidates = SharedOptions.WeightsConverter.class,
      description =
          "How the frozen"
              + " reference model keeps its weights: ${COMPLETION-CANDIDATES}; bf16: bfloat16 matrices"
              + " read with float32 accumulation, half the bytes, no gradient buffers; int8: int8"
              + " matrices with a float32 scale per row, a quarter of the bytes."
              + " Default: ${DEFAULT-VALUE}.")
  WeightPrecision referenceWeights = WeightPrecision.F32;

  @Mixin SharedOptions.Device device = new SharedOptions.Device();

  @Mixin SharedOptions.KvCache kvCache = new SharedOptions.KvCache();

  @Option(
      names = "--prompt",
      defaultValue = "instructed",
      paramLabel = "STYLE",
      converter = AgentPrompt.Converter.class,
      completionCandidates = AgentPrompt.Converter.class,
      description =
          "One of ${COMPLETION-CANDIDATES}. instructed: a system turn explains the"
              + " format (instruction-tuned models); tags (also read as bare): the question alone in the"
              + " chat template (a model trained on the format). Default: ${DEFAULT-VALUE}.")
  AgentPrompt prompt;

  @Mixin SharedOptions.Chat chat = new SharedOptions.Chat();

  @Option(
      names = "--steps",
      defaultValue = "100",
      description = "Rollout batches (default: ${DEFAULT-VALUE}).")
  int steps;

  @Option(
      names = "--questions-per-step",
      defaultValue = "32",
      description = "Questions per step (default: ${DEFAULT-VALUE}).")
  int questions;

  @Option(
      names = "--num-generations",
      defaultValue = "5",
      description = "G, rollouts per question (default: ${DEFAULT-VALUE}).")
  int generations;

  @Option(
      names = "--learning-rate",
      defaultValue = "1e-6",
      description = "Default: ${DEFAULT-VALUE}.")
  float learningRate;

  @Option(names = "--warmup-steps", defaultValue = "0", description = "Default: ${DEFAULT-VALUE}.")
  int warmup;

  @Option(names = "--weight-decay", defaultValue = "0", description = "Default: ${DEFAULT-VALUE}.")
  float weightDecay;

  @Option(
      names = "--max-grad-norm",
      defaultValue = "1.0",
      description = "Default: ${DEFAULT-VALUE}.")
  float maxGradNorm;

  @Option(
      names = "--beta",
      defaultValue = "0.001",
      description = "KL weight; 0 drops the reference (default: ${DEFAULT-VALUE}).")
  float beta;

  @Option(
      names = "--epsilon",
      defaultValue = "0.2",
      description = "Ratio clip (default: ${DEFAULT-VALUE}).")
  float epsilon;

  @Option(names = "--epsilon-high", description = "Upper ratio clip (default: --epsilon).")
  Float epsilonHigh;

  @Option(
      names = "--loss-type",
      defaultValue = "token-mean",
      paramLabel = "TYPE",
      converter = LossTypeConverter.class,
      completionCandidates = LossTypeConverter.class,
      description =
          "${COMPLETION-CANDIDATES}; also read as TRL's bnpo and grpo for the first two"
              + " (default: ${DEFAULT-VALUE}).")
  LossType lossType;

  @Option(
      names = "--scale-rewards",
      defaultValue = "true",
      arity = "1",
      description = "Divide advantages by the group's std (default: ${DEFAULT-VALUE}).")
  boolean scaleRewards;

  @Option(
      names = "--num-iterations",
      defaultValue = "1",
      description = "Updates per batch, μ (default: ${DEFAULT-VALUE}).")
  int iterations;

  @Option(names = "--temperature", defaultValue = "1.0", description = "Default: ${DEFAULT-VALUE}.")
  double temperature;

  @Option(
      names = "--dynamic-sampling",
      arity = "0..1",
      description =
          "DAPO's dynamic sampling (verl's"
              + " filter_groups): drop groups whose rewards are all equal and roll out more questions until"
              + " --questions-per-step groups have variance (default: off, the paper's recipe).")
  boolean dynamicSampling;

  @Option(
      names = "--max-num-gen-batches",
      defaultValue = "4",
      description =
          "With"
              + " --dynamic-sampling, rollout rounds per step at most, the first included; then it trains on"
              + " what it has (default: ${DEFAULT-VALUE}).")
  int maxNumGenBatches;

  @Option(
      names = "--pass-rate-filter",
      arity = "0..1",
      description =
          "Skip, for one pass over the data, a question"
              + " whose latest group all passed (answer F1 >= 0.5) (default: off, the paper's recipe).")
  boolean passRateFilter;

  @Option(
      names = "--max-completion-length",
      defaultValue = "1024",
      description =
          "Response budget in tokens, search results included (default: ${DEFAULT-VALUE}).")
  int maxCompletion;

  @Option(
      names = "--max-tool-calls",
      defaultValue = "8",
      description =
          "Tool calls per response at most, all tools together (default: ${DEFAULT-VALUE}).")
  int maxCalls;

  @Option(
      names = "--topk",
      defaultValue = "5",
      description = "Passages per search (default: ${DEFAULT-VALUE}).")
  int topK;

  @Option(
      names = "--micro-batch",
      defaultValue = "8",
      description = "Rollouts per forward pass (default: ${DEFAULT-VALUE}).")
  int microBatch;

  @Mixin SharedOptions.Seed seed = new SharedOptions.Seed();

  @Option(
      names = "--checkpoint-every",
      defaultValue = "50",
      description = "Default: ${DEFAULT-VALUE}.")
  int checkpointEvery;

  @Option(
      names = "--eval-every",
      defaultValue = "0",
      description = "0: only --dev at the start and end (default: ${DEFAULT-VALUE}).")
  int evalEvery;

  @Option(
      names = "--eval-questions",
      defaultValue = "200",
      description = "Dev questions used (default: ${DEFAULT-VALUE}).")
  int evalQuestions;

  private final PrintStream log = System.err;

  @Override
  public Integer call() throws Exception {
    toolOptions.names(spec.commandLine());
    Path model = this.model.dir;
    Kernels kernels = device.open();
    Tokenizer tok = Tokenizer.load(model.resolve("tokenizer.json"));
    Qwen2Config config = Qwen2Config.read(model.resolve("config.json"));
    Set<Integer> eos = StopTokens.of(model, config, tok);
    int pad =
        tok.findId("<|endoftext|>") >= 0 ? tok.findId("<|endoftext|>") : eos.iterator().next();
    ChatTemplate template = chat.template();
    List<QaExample> trainSet = QaFormat.readAll(train, OnMalformed.FAIL);
    List<QaExample> devSet = dev == null ? List.of() : QaFormat.readAll(dev, OnMalformed.FAIL);
    devSet = devSet.subList(0, Math.min(evalQuestions, devSet.size()));
    GrpoConfig c =
        GrpoConfig.paper()
            .withSteps(steps)
            .withBatch(questions, generations)
            .withOptimizer(learningRate, warmup, weightDecay, maxGradNorm)
            .withObjective(
                beta,
                epsilon,
                epsilonHigh == null ? epsilon : epsilonHigh,
                lossType,
                scaleRewards,
                iterations)
            .withRollout(temperature, maxCompletion, maxCalls, microBatch)
            .withRun(
                seed.seed,
                checkpointEvery,
                evalEvery > 0 ? evalEvery : devSet.isEmpty() ? 0 : steps)
            .withDynamicSampling(dynamicSampling)
            .withMaxNumGenBatches(maxNumGenBatches)
            .withPassRateFilter(passRateFilter);
    Files.createDirectories(out);
    CheckpointWriter.Options save =
        CheckpointWriter.Options.defaults().withTokenizerFile(model.resolve("tokenizer.json"));
    log.printf(
        "GRPO: %d steps x %d questions x G=%d from %s, %d train questions, %d dev%s%s%n",
        c.steps(),
        c.questionsPerStep(),
        c.numGenerations(),
        model,
        trainSet.size(),
        devSet.size(),
        c.dynamicSampling()
            ? "; dynamic sampling, " + c.maxNumGenBatches() + " rounds at most"
            : "",
        c.passRateFilter() ? "; pass-rate filter" : "");
    try (Searcher searcher = Searcher.open(index.dir)) {
      Tools tools = toolOptions.build(spec.commandLine(), searcher, topK);
      try {
        PromptTemplate promptTemplate =
            prompt == AgentPrompt.INSTRUCTED
                ? PromptTemplate.instructed(template, tools)
                : new PromptTemplate(template, null);
        Reward reward = Reward.research(ReSearchReward.FORMAT_ONLY, FormatRule.of(tools));
        if (!tools.searchOnly()) log.printf("tools: %s%n", String.join(", ", tools.names()));
        GrpoTrainer trainer =
            new GrpoTrainer(
                kernels,
                c,
                out,
                tok,
                tools,
                promptTemplate,
                eos,
                reward,
                save,
                pad,
                TrainingProgress.grpo(log));
        trainer.withBf16Caches(kvCache.bf16(kernels));
        if (referenceWeights != WeightPrecision.F32) {
          trainer.withReference(() -> load(kernels, referenceWeights));
        }
        GrpoTrainer.Result r = trainer.run(() -> load(kernels), trainSet, devSet);
        log.printf(
            "reward %.3f (first step of this run) -> %.3f (last)%n",
            r.firstReward(), r.lastReward());
        if (r.evalBefore() != null) summary("dev before", r.evalBefore());
        if (r.evalAfter() != null) summary("dev after", r.evalAfter());
        r.model().close();
      } finally {
        ToolOptions.close(tools);
      }
    }
    log.println(
        "metrics: "
            + out.resolve("metrics.jsonl")
            + "; checkpoints: "
            + out.resolve("checkpoints"));
    return 0;
  }

  private Qwen2Model load(Kernels kernels) {
    return load(kernels, WeightPrecision.F32);
  }

  private Qwen2Model load(Kernels kernels, WeightPrecision precision) {
    try {
      return Qwen2Model.load(kernels, model.dir, precision);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot load the initial model from " + model.dir, e);
    }
  }

  /** A dev summary line; with more tools than search, each tool's calls per response after it. */
  private void summary(String name, Evaluation.Summary s) {
    StringBuilder perTool = new StringBuilder();
    if (s.callsByTool().size() > 1) {
      s.callsByTool().forEach((t, c) -> perTool.append(String.format("  %s %.2f", t, c)));
    }
    log.printf(
        "%-11s EM %.3f  F1 %.3f  reward %.3f  well-formed %.0f%%  searches %.2f%s%n",
        name, s.exactMatch(), s.f1(), s.reward(), 100 * s.wellFormed(), s.searches(), perTool);
  }
}
