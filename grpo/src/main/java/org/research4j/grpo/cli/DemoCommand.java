package org.research4j.grpo.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import org.research4j.grpo.cli.report.LearningCurveChart;
import org.research4j.grpo.cli.report.PassAtKChart;
import org.research4j.grpo.eval.Evaluation;
import org.research4j.grpo.eval.HopDiagnostics;
import org.research4j.grpo.eval.PassAtK;
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
import org.research4j.grpo.report.DemoSummary;
import org.research4j.grpo.reward.FormatRule;
import org.research4j.grpo.reward.Reward;
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.grpo.rollout.RolloutEngine;
import org.research4j.grpo.run.MetricsLog;
import org.research4j.grpo.run.RunCheckpoints;
import org.research4j.grpo.sft.CopyProbe;
import org.research4j.grpo.sft.NameSwap;
import org.research4j.grpo.sft.SearchTraces;
import org.research4j.grpo.sft.SftConfig;
import org.research4j.grpo.sft.SftExample;
import org.research4j.grpo.sft.SftTrainer;
import org.research4j.grpo.tool.SearchTool;
import org.research4j.grpo.tool.Tools;
import org.research4j.grpo.train.GrpoConfig;
import org.research4j.grpo.train.GrpoTrainer;
import org.research4j.grpo.train.LossType;
import org.research4j.kernels.Kernels;
import org.research4j.search.flashrag.CorpusFormat;
import org.research4j.search.flashrag.JsonlReader;
import org.research4j.search.flashrag.OnMalformed;
import org.research4j.search.flashrag.Passage;
import org.research4j.search.flashrag.QaExample;
import org.research4j.search.flashrag.QaFormat;
import org.research4j.search.index.BuildListener;
import org.research4j.search.index.Index;
import org.research4j.search.index.IndexOptions;
import org.research4j.search.index.Searcher;
import org.research4j.search.world.QuestionType;
import org.research4j.search.world.WorldConfig;
import org.research4j.search.world.WorldGenerator;
import org.research4j.transformer.checkpoint.CheckpointWriter;
import org.research4j.transformer.checkpoint.Qwen2Config;
import org.research4j.transformer.generate.SamplingConfig;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.tokenizer.BpeTrainer;
import org.research4j.transformer.tokenizer.ChatTemplate;
import org.research4j.transformer.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The embedded default, end to end on a laptop: generate the world, index it with BM25, train a
 * tokenizer and a small Qwen2 model from scratch (language modelling on the encyclopedia, then a
 * warm start on the ReSearch format from search traces whose results come from the real index),
 * train it further with GRPO on its own rollouts (the paper's recipe), and evaluate the warm-start
 * and the GRPO model as search agents on test questions about entities they never trained on. Every
 * stage writes under {@code --out} and is skipped when its output exists, so a killed demo picks up
 * where it stopped (training resumes from its last checkpoint).
 *
 * <p>With {@code --arithmetic-questions --tools search,code} it compares two agents after GRPO from
 * one warm start: the warm start shows each tool alone (search traces of the world's non-arithmetic
 * types, and the code tool's simple cases, {@link SearchTraces#computations}), never the two
 * combined; GRPO then trains one agent with search and code on every type, and a second one from
 * the same checkpoint with search alone ({@code grpo-search-only/}); each is evaluated with its own
 * tools, its prompt listing them, and a last line measures the code tool's gain on the arithmetic
 * types against its cost on the others.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Train a search agent from nothing on the generated world, and evaluate it.")
public final class DemoCommand implements Callable<Integer> {

  @Option(
      names = "--out",
      defaultValue = "runs/demo",
      description = "Run directory (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(
      names = "--seed",
      defaultValue = "42",
      description = "World and training seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Mixin SharedOptions.Device device = new SharedOptions.Device();

  @Mixin SharedOptions.KvCache kvCache = new SharedOptions.KvCache();

  @Option(
      names = "--pretrain-steps",
      defaultValue = "800",
      description = "Language-model steps on the encyclopedia (default: ${DEFAULT-VALUE}).")
  int pretrainSteps;

  @Option(
      names = "--sft-steps",
      defaultValue = "2000",
      description =
          "Warm-start steps on ReSearch-format search traces (default: ${DEFAULT-VALUE}, where"
              + " the held-out loss has nearly stopped falling; at 1,000 the supervised control gained"
              + " more than GRPO).")
  int sftSteps;

  @Option(
      names = "--grpo-steps",
      defaultValue = "50",
      description =
          "GRPO steps after the warm start; 0 evaluates the warm start alone (default: ${DEFAULT-VALUE}).")
  int grpoSteps;

  @Option(
      names = {"--questions-per-step", "--grpo-questions"},
      defaultValue = "8",
      description = "Questions per GRPO step (default: ${DEFAULT-VALUE}).")
  int grpoQuestions;

  @Option(
      names = "--num-generations",
      defaultValue = "8",
      description = "Rollouts per question, G (default: ${DEFAULT-VALUE}; the paper uses 5).")
  int generations;

  @Option(
      names = "--grpo-learning-rate",
      defaultValue = "1e-4",
      description =
          "GRPO learning rate (default: ${DEFAULT-VALUE}; the paper's 1e-6 is for 7B models).")
  float grpoLearningRate;

  @Option(
      names = "--baselines",
      defaultValue = "true",
      arity = "1",
      description =
          "Also evaluate Naive Generation, Naive RAG, Iter-RetGen, IRCoT and"
              + " Self-Consistency (default: ${DEFAULT-VALUE}).")
  boolean baselines;

  @Option(
      names = "--batch",
      defaultValue = "8",
      description = "Sequences per step (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(
      names = "--seq-len",
      defaultValue = "512",
      description = "Tokens per sequence (default: ${DEFAULT-VALUE}).")
  int seqLen;

  @Option(
      names = {"--max-completion-length", "--max-response-tokens"},
      defaultValue = "0",
      description =
          "Agent responses' token budget, search results included, in GRPO and evaluation;"
              + " 0 for --seq-len (default: ${DEFAULT-VALUE}).")
  int maxResponseTokens;

  @Option(
      names = "--vocab",
      defaultValue = "2048",
      description = "BPE vocabulary size (default: ${DEFAULT-VALUE}).")
  int vocab;

  @Option(
      names = "--hidden",
      defaultValue = "128",
      description = "Model width (default: ${DEFAULT-VALUE}).")
  int hidden;

  @Option(
      names = "--layers",
      defaultValue = "4",
      description = "Model depth (default: ${DEFAULT-VALUE}).")
  int layers;

  @Option(
      names = {"--sft-learning-rate", "--learning-rate"},
      defaultValue = "3e-3",
      description =
          "Peak learning rate of the supervised stages, language modelling and warm start"
              + " (default: ${DEFAULT-VALUE}; GRPO's is --grpo-learning-rate).")
  float learningRate;

  @Option(
      names = "--topk",
      defaultValue = "1",
      description = "Passages per search (default: ${DEFAULT-VALUE}).")
  int topK;

  @Option(
      names = "--lm-repeats",
      defaultValue = "0.5",
      description =
          "Share of encyclopedia passages repeated right after themselves in language"
              + " modelling: copy-rich text, each repeat predictable only by copying"
              + " (default: ${DEFAULT-VALUE}).")
  double lmRepeats;

  @Option(
      names = "--lm-renamings",
      defaultValue = "8",
      description =
          "Language-model text as this many copies of the encyclopedia, each passage's names"
              + " renamed at random (a name is then predictable only by copying it from earlier in its"
              + " passage, and no fact can be memorised); 0 trains on the text as it is (default: ${DEFAULT-VALUE}).")
  int lmRenamings;

  @Option(
      names = "--lm-copy-drills",
      defaultValue = "0",
      description =
          "Share of language-model tokens that are copy drills: a random run of the world's"
              + " name words, then the same run again (default: ${DEFAULT-VALUE}).")
  double lmCopyDrills;

  @Option(
      names = "--rename-traces",
      defaultValue = "true",
      arity = "1",
      description =
          "Rename the names of every warm-start trace consistently (question, queries,"
              + " results, answers), so that traces are answered by copying, not recall (default: ${DEFAULT-VALUE}).")
  boolean renameTraces;

  @Option(
      names = "--readable-traces",
      defaultValue = "false",
      arity = "1",
      description =
          "Warm start only on questions whose every hop's answer is in what its search"
              + " returns; the rest are left to GRPO (default: ${DEFAULT-VALUE}).")
  boolean readableTraces;

  @Option(
      names = "--warm-start-max-hops",
      defaultValue = "3",
      description =
          "Warm start only on questions of at most this many hops, leaving longer"
              + " chains for GRPO to learn (default: ${DEFAULT-VALUE}, every question).")
  int warmStartMaxHops;

  @Option(
      names = "--warm-start-types",
      split = ",",
      paramLabel = "TYPE",
      description =
          "Warm start only on these question types (comma-separated, from one_hop,"
              + " two_hop_bridge, two_hop_temporal, comparison, three_hop), leaving the others for GRPO"
              + " to learn (default: every type).")
  List<String> warmStartTypes;

  @Option(
      names = "--grpo-types",
      split = ",",
      paramLabel = "TYPE",
      description =
          "GRPO trains only on questions of these types (comma-separated, as"
              + " --warm-start-types), for example the types the warm start left out (default: every"
              + " type).")
  List<String> grpoTypes;

  @Option(
      names = "--arithmetic-questions",
      defaultValue = "false",
      arity = "0..1",
      description =
          "Generate the world with the arithmetic question types too (years_between,"
              + " age_at_event, year_sum: searches, then one computation); the warm start leaves them to"
              + " GRPO. With --tools search,code the demo trains a second GRPO agent, with search alone,"
              + " from the same warm start, and compares the two (default: ${DEFAULT-VALUE}).")
  boolean arithmeticQuestions;

  /** The code tool's simple cases in the warm start ({@code --code-cases}). */
  enum CodeCases {
    /** The computation alone: "How many years are there from 1518 to 1790?" */
    bare,
    /** The whole question with the facts its searches would find written before it. */
    facts,
    /** Both forms of every computation. */
    both;

    boolean bare() {
      return this != facts;
    }

    boolean facts() {
      return this != bare;
    }
  }

  @Option(
      names = "--code-cases",
      defaultValue = "bare",
      description =
          "With --tools search,code, the code tool's simple cases in the warm start: bare (the"
              + " computation alone), facts (the question with the facts its searches would find"
              + " written before it: numbers read from the context, no search call) or both"
              + " (default: ${DEFAULT-VALUE}; one of ${COMPLETION-CANDIDATES}).")
  CodeCases codeCases;

  /**
   * The GRPO agent's tools ({@code --tools}, as {@code train} and {@code eval} take them) and the
   * code tool's limits.
   */
  @Mixin ToolOptions toolOptions = new ToolOptions();

  @Option(
      names = "--supervised-control",
      defaultValue = "true",
      arity = "1",
      description =
          "Add the control row \""
              + MORE_SFT
              + "\": the warm start's supervised"
              + " training continued on its own traces for as long as GRPO trained, at the learning rate"
              + " the warm start ended with, so that a GRPO gain can be told from room left by stopping"
              + " the warm start early (default: ${DEFAULT-VALUE}).")
  boolean supervisedControl;

  @Option(
      names = "--eval-questions",
      defaultValue = "200",
      description = "Test questions to evaluate on (default: ${DEFAULT-VALUE}).")
  int evalQuestions;

  @Option(
      names = "--samples",
      defaultValue = "32",
      description =
          "Responses sampled per question at temperature 1 for Self-Consistency and"
              + " pass@k (default: ${DEFAULT-VALUE}; 0 skips both).")
  int samples;

  @Option(
      names = "--pass-k-questions",
      defaultValue = "100",
      description =
          "Test questions pass@k is measured on, the first of the evaluated ones"
              + " (default: ${DEFAULT-VALUE}).")
  int passKQuestions;

  @Option(
      names = "--format-reward",
      defaultValue = "0",
      description =
          "GRPO: reward of a well-formed answer with F1 0 (default: ${DEFAULT-VALUE};"
              + " the paper's 0.1 was measured over three seeds to teach the policy to stop searching"
              + " early: benchmarks/results/learning.md).")
  double formatReward;

  @Option(
      names = "--retrieval-reward",
      defaultValue = "0",
      description =
          "GRPO: add this weight times the share of a question's hops whose answer a"
              + " search returned to a well-formed response's reward (step-wise shaping; default:"
              + " ${DEFAULT-VALUE}, the paper's reward alone).")
  double retrievalReward;

  @Option(
      names = "--temperature",
      defaultValue = "1.0",
      description =
          "GRPO: sampling temperature of the rollouts (default: ${DEFAULT-VALUE}, the"
              + " paper's); Self-Consistency and pass@k always sample at 1.")
  double temperature;

  @Option(
      names = "--loss-type",
      defaultValue = "token-mean",
      paramLabel = "TYPE",
      converter = LossTypeConverter.class,
      completionCandidates = LossTypeConverter.class,
      description =
          "GRPO: ${COMPLETION-CANDIDATES}; token-mean is TRL's bnpo and the paper's,"
              + " seq-mean TRL's grpo (default: ${DEFAULT-VALUE}).")
  LossType lossType;

  @Option(
      names = "--scale-rewards",
      defaultValue = "true",
      arity = "1",
      description = "GRPO: divide advantages by the group's std (default: ${DEFAULT-VALUE}).")
  boolean scaleRewards;

  @Option(
      names = "--dynamic-sampling",
      defaultValue = "false",
      arity = "0..1",
      description =
          "GRPO: drop groups whose rewards are all equal and draw more (DAPO) (default: ${DEFAULT-VALUE}).")
  boolean dynamicSampling;

  @Option(
      names = "--pass-rate-filter",
      defaultValue = "false",
      arity = "0..1",
      description =
          "GRPO: skip, once, questions whose last group all passed (default: ${DEFAULT-VALUE}).")
  boolean passRateFilter;

  /** Searches per response at most: the world's questions need three at the most. */
  private static final int MAX_SEARCHES = 4;

  /** Where the supervised stages' cosine ends, as a fraction of the peak learning rate. */
  private static final float SFT_MIN_LR_FRACTION = 0.1f;

  /** The supervised stages' weight decay (on matrices). */
  private static final float SFT_WEIGHT_DECAY = 0.1f;

  /** Global gradient norm every stage clips to. */
  private static final float MAX_GRAD_NORM = 1.0f;

  /** GRPO's weight decay: none, as in the paper. */
  private static final float GRPO_WEIGHT_DECAY = 0f;

  /** Warm-up of every stage's learning rate: this fraction of its steps (at least one step). */
  private static final int WARMUP_DIVISOR = 10;

  /** Supervised checkpoints every this many steps (and at the end). */
  private static final int SFT_CHECKPOINT_EVERY = 100;

  /** Held-out loss measured this many times over a supervised stage. */
  private static final int SFT_EVALUATIONS = 10;

  /** Copy score measured this many times over language modelling and the warm start. */
  private static final int COPY_PROBES = 20;

  /** Packed language-model sequences held out for the held-out loss. */
  private static final int LM_DEV_SEQUENCES = 16;

  /** Warm-start traces held out for the held-out loss (and so never trained on). */
  private static final int WARM_START_DEV_TRACES = 64;

  /** GRPO checkpoints every this many steps (and at the end). */
  private static final int GRPO_CHECKPOINT_EVERY = 10;

  /** Dev evaluations over the GRPO run: every quarter. */
  private static final int GRPO_EVALUATIONS = 4;

  /** Rollouts per GRPO forward pass. */
  private static final int GRPO_MICRO_BATCH = 8;

  /** Dev questions evaluated during GRPO. */
  private static final int DEV_QUESTIONS = 50;

  /** Model width per attention head, and per KV head (two query heads share one). */
  private static final int WIDTH_PER_HEAD = 32;

  private static final int WIDTH_PER_KV_HEAD = 64;

  /** SwiGLU width: hidden × 11 / 4, rounded down to a multiple of {@value #MLP_MULTIPLE}. */
  private static final int MLP_NUMERATOR = 11;

  private static final int MLP_DENOMINATOR = 4;
  private static final int MLP_MULTIPLE = 32;

  /** The model's context at least, whatever --seq-len. */
  private static final int MIN_CONTEXT = 512;

  /** Copy drills: runs of this many name words, then the same run again. */
  private static final int DRILL_MIN_WORDS = 2;

  private static final int DRILL_MAX_WORDS = 7;

  /** Mixed into the seed of the language model's renamed copies. */
  private static final long RENAMING_SEED_SALT = 0x5eed_c0deL;

  /** Questions per evaluation batch. */
  private static final int EVAL_BATCH = 25;

  /** Checkpoints kept per stage. */
  private static final int CHECKPOINTS_KEPT = 2;

  /** The supervised control's row in the comparison. */
  static final String MORE_SFT = "ReSearch, more SFT";

  /** The comparison's rows of the agent, before and after GRPO. */
  private static final String WARM_START = "ReSearch, warm start";

  private static final String GRPO = "ReSearch, GRPO";

  /**
   * With {@code --tools search,code}: the agent trained by GRPO from the same warm start, search
   * alone.
   */
  static final String GRPO_SEARCH_ONLY = "ReSearch, GRPO (search only)";

  /** The search-only GRPO run's stage directory. */
  static final String GRPO_SEARCH_ONLY_DIR = "grpo-search-only";

  /** Its learning curve, beside {@link LearningCurveChart#FILE_NAME}. */
  static final String SEARCH_ONLY_CHART = "learning-search-only.png";

  /**
   * The code tool's target (issue #10): F1 gain of search+code over search alone on these types.
   */
  static final double ARITHMETIC_TARGET = 0.20;

  /** ... and what it may cost on these, at most. */
  static final double OTHER_TARGET = -0.02;

  static final List<String> ARITHMETIC_TYPES =
      QuestionType.ARITHMETIC.stream().map(QuestionType::id).toList();

  static final List<String> SEARCH_TYPES =
      List.of(
          QuestionType.ONE_HOP.id(),
          QuestionType.TWO_HOP_BRIDGE.id(),
          QuestionType.TWO_HOP_TEMPORAL.id());

  @Spec CommandSpec spec;

  private final PrintStream log = System.err;

  /** The tables ({@link ResultsReport}) go to {@link #log} too, flushed after each. */
  private final PrintWriter tables = new PrintWriter(log);

  /** LLM-as-judge: {@code --judge-url} adds each method's LJ score to the table and the summary. */
  @Mixin JudgeOptions judgeOptions = new JudgeOptions();

  /** The run's summary, with each stage's wall time. */
  private DemoSummary summary;

  /** When the current stage started (System.nanoTime). */
  private long stageStart;

  /** The warm-start agent's samples, drawn once and shared by Self-Consistency and pass@k. */
  private ResponseSampler warmStartSamples;

  /** The generated world as the stages read it. */
  private record World(
      Path dir,
      Path index,
      List<Passage> passages,
      List<QaExample> train,
      List<QaExample> test,
      List<Passage> readable) {}

  /**
   * What an agent is given: the tools it may call, the prompt its questions are rendered in, and
   * the format rule its responses are scored under (its tools').
   */
  private record Kit(Tools tools, PromptTemplate template, FormatRule rule) {
    static Kit of(Tools tools, PromptTemplate template) {
      return new Kit(tools, template, FormatRule.of(tools));
    }

    /** The paper's kit: the search tool alone. */
    boolean searchOnly() {
      return tools.searchOnly();
    }
  }

  /**
   * What every stage after the world shares: the device, the tokenizer, the search tool, the GRPO
   * agent's kit ({@code --tools}) and the kit with search alone (the same one when {@code --tools}
   * is search).
   */
  private record Setup(
      Kernels kernels,
      Tokenizer tok,
      int endOfText,
      int endOfTurn,
      CheckpointWriter.Options save,
      SearchTool search,
      Kit agent,
      Kit searchOnly) {
    Set<Integer> eos() {
      return Set.of(endOfTurn, endOfText);
    }

    /** Whether a second GRPO agent, with search alone, is trained and compared. */
    boolean compared() {
      return !agent.searchOnly();
    }

    /**
     * The tools whose calls per response the tables and the summary show: none when search only.
     */
    List<String> shownTools() {
      return compared() ? agent.tools().names() : List.of();
    }
  }

  /**
   * The models the comparison evaluates: the warm start, and after GRPO (with search alone too when
   * compared) and its control if trained.
   */
  private record Trained(
      Qwen2Model warmStart, Qwen2Model grpo, Qwen2Model grpoSearchOnly, Qwen2Model control) {}

  /**
   * The questions the warm start's traces are written from: {@code searched}, the training
   * questions of at most {@code --warm-start-max-hops} hops (and of {@code --warm-start-types})
   * whose hops are all searches, each a search trace; {@code computations}, with the code tool, the
   * computation hops of every training question as questions of their own (the code tool's simple
   * cases, {@link SearchTraces#computations}), each a code-tool trace; and {@code leftToGrpo}, the
   * training questions that end in a computation (the composite arithmetic ones), of which none is
   * traced: combining search and code on them is left to GRPO.
   */
  record WarmStartQuestions(
      List<QaExample> searched, List<QaExample> computations, int leftToGrpo) {}

  @Override
  public Integer call() throws Exception {
    validate();
    org.research4j.grpo.judge.JudgeConfig judgeConfig = judgeOptions.config(spec.commandLine());
    summary = DemoSummary.begin(seed, spec.commandLine().getParseResult().originalArgs());
    stageStart = System.nanoTime();
    Kernels kernels = device.open();
    World world = world();
    Tokenizer tok = tokenizer(world.passages(), world.train());
    int endOfText = tok.idOf("<|endoftext|>");
    int endOfTurn = tok.idOf("<|im_end|>");
    Qwen2Config config = modelConfig(tok, endOfTurn, endOfText);
    CheckpointWriter.Options save =
        CheckpointWriter.Options.defaults().withTokenizerFile(out.resolve("tokenizer.json"));

    try (Searcher searcher = Searcher.open(world.index())) {
      Tools tools = toolOptions.build(spec.commandLine(), searcher, topK);
      try {
        stages(setup(kernels, tok, endOfText, endOfTurn, save, tools), world, config, judgeConfig);
      } finally {
        ToolOptions.close(tools);
      }
    }
    Path summaryFile = out.resolve(DemoSummary.FILE);
    summary.write(summaryFile);
    log.printf(
        "%nsummary: %s (wall time %.0f s)%n",
        summaryFile, summary.data().wallSeconds().get(DemoSummary.TOTAL));
    log.println(
        "run directory: "
            + out
            + " (checkpoints in Hugging Face layout under */checkpoints,"
            + " metrics in */metrics.jsonl)");
    return 0;
  }

  /**
   * The shared setup with the agents' kits: with search alone, the question alone as the prompt (a
   * model trained on the format needs no instruction), the paper's setup; with more tools, each
   * agent's prompt names its own tools in a system turn ({@link PromptTemplate#listing}: a few
   * tokens, where the instructed prompt of {@code train} and {@code eval} would take half of the
   * demo model's window).
   */
  private static Setup setup(
      Kernels kernels,
      Tokenizer tok,
      int endOfText,
      int endOfTurn,
      CheckpointWriter.Options save,
      Tools tools) {
    SearchTool search = (SearchTool) tools.byName("search");
    Kit agent;
    Kit searchOnly;
    if (tools.searchOnly()) {
      agent = Kit.of(tools, PromptTemplate.bare());
      searchOnly = agent;
    } else {
      ChatTemplate chat = PromptTemplate.bare().chat();
      agent = Kit.of(tools, PromptTemplate.listing(chat, tools));
      Tools alone = Tools.of(search);
      searchOnly = Kit.of(alone, PromptTemplate.listing(chat, alone));
    }
    return new Setup(kernels, tok, endOfText, endOfTurn, save, search, agent, searchOnly);
  }

  /** Every stage after the world, then the results. */
  private void stages(
      Setup setup,
      World world,
      Qwen2Config config,
      org.research4j.grpo.judge.JudgeConfig judgeConfig)
      throws IOException {
    endStage(DemoSummary.WORLD);
    Tokenizer tok = setup.tok();
    NameSwap names =
        new NameSwap(NameSwap.nameWords(world.passages().stream().map(Passage::title).toList()));
    CopyProbe copy = CopyProbe.forTokenizer(tok, setup.endOfText(), seed);
    SftTrainer.Result lm = languageModel(setup, config, world, names, copy);
    endStage(DemoSummary.PRETRAIN);
    List<SftExample> traces = traces(setup, world, names);
    SftTrainer.Result sft = warmStart(setup, lm, traces, copy);
    endStage(DemoSummary.WARM_START);
    GrpoTrainer.Result grpo =
        grpoSteps > 0 ? grpo(setup, world, setup.agent(), "grpo", GRPO) : null;
    endStage(DemoSummary.GRPO);
    GrpoTrainer.Result grpoSearchOnly = null;
    if (grpo != null && setup.compared()) {
      grpoSearchOnly =
          grpo(setup, world, setup.searchOnly(), GRPO_SEARCH_ONLY_DIR, GRPO_SEARCH_ONLY);
      endStage(DemoSummary.GRPO_SEARCH_ONLY);
    }
    SftTrainer.Result control = null;
    if (supervisedControl && grpo != null) {
      control = supervisedControl(setup.kernels(), setup.save(), setup.endOfText(), traces);
      endStage(DemoSummary.SUPERVISED_CONTROL);
    }
    Trained trained =
        new Trained(
            kvCache.apply(sft.model()),
            grpo == null ? null : kvCache.apply(grpo.model()),
            grpoSearchOnly == null ? null : kvCache.apply(grpoSearchOnly.model()),
            control == null ? null : kvCache.apply(control.model()));
    List<QaExample> questions =
        world.test().subList(0, Math.min(evalQuestions, world.test().size()));
    Map<String, List<Evaluation.Outcome>> results = comparison(setup, trained, questions);
    endStage(DemoSummary.EVALUATION);
    Map<String, HopDiagnostics.Summary> diagnostics = new LinkedHashMap<>();
    results.forEach(
        (name, outcomes) -> {
          HopDiagnostics.Summary d = HopDiagnostics.summary(outcomes, setup.search()::passage);
          diagnostics.put(name, d);
          summary.method(
              name,
              Evaluation.summary(outcomes),
              Evaluation.byType(outcomes),
              d.rates(),
              setup.shownTools());
        });
    Map<String, PassAtK.Result> passAtK = passAtK(setup, trained, questions);
    endStage(DemoSummary.PASS_AT_K);
    printResults(results, diagnostics, passAtK, judgeConfig, grpo != null, setup);
    sft.model().close();
    if (grpo != null) grpo.model().close();
    if (grpoSearchOnly != null) grpoSearchOnly.model().close();
    if (control != null) control.model().close();
  }

  private void validate() {
    if (samples < 0
        || passKQuestions < 0
        || evalQuestions < 1
        || lmRenamings < 0
        || maxResponseTokens < 0
        || !(lmCopyDrills >= 0 && lmCopyDrills < 1)
        || !(lmRepeats >= 0 && lmRepeats <= 1)
        || !(temperature > 0)
        || !(retrievalReward >= 0)) {
      throw new ParameterException(
          spec.commandLine(),
          "need --eval-questions >= 1, --samples >= 0,"
              + " --pass-k-questions >= 0, --lm-renamings >= 0, "
              + SharedOptions.typed(spec, "--max-completion-length")
              + " >= 0,"
              + " --lm-copy-drills in [0, 1), --lm-repeats in [0, 1] --temperature > 0 and --retrieval-reward >= 0");
    }
    List<String> tools = toolOptions.names(spec.commandLine());
    if (!tools.contains("search")) {
      throw new ParameterException(
          spec.commandLine(),
          "--tools: the demo's agent needs search (the world's questions are answered from its"
              + " index); use search or search,code");
    }
    if (tools.contains("code")) {
      toolOptions.codeLimits(spec.commandLine());
      if (!arithmeticQuestions) {
        throw new ParameterException(
            spec.commandLine(),
            "--tools code needs --arithmetic-questions: only the arithmetic question types have a"
                + " computation for the code tool");
      }
    }
  }

  /** Records the wall time of the stage that ends now under {@code name}; the next one starts. */
  private void endStage(String name) {
    summary.stageSince(name, stageStart);
    stageStart = System.nanoTime();
  }

  /**
   * The world and its index, each generated unless already there; its passages and questions, and
   * the passages training may read (those about test questions' entities held out).
   */
  private World world() throws IOException {
    Path worldDir = out.resolve("world");
    if (!Files.exists(worldDir.resolve(WorldGenerator.SUMMARY))) {
      log.println("generating the world (seed " + seed + ") into " + worldDir);
      WorldGenerator.generate(
          WorldConfig.defaults().withSeed(seed).withArithmetic(arithmeticQuestions),
          worldDir,
          n -> {});
    }
    Path corpus = worldDir.resolve(WorldGenerator.CORPUS);
    Path indexDir = out.resolve("index");
    if (!isIndex(indexDir)) {
      log.println("indexing " + corpus + " with Lucene BM25");
      Index.build(corpus, indexDir, IndexOptions.defaults(), BuildListener.NONE);
    }
    List<Passage> passages = new ArrayList<>();
    try (JsonlReader<Passage> r = CorpusFormat.reader(corpus, OnMalformed.FAIL)) {
      for (Passage p; (p = r.next()) != null; ) passages.add(p);
    }
    List<QaExample> train = QaFormat.readAll(worldDir.resolve("train.jsonl"), OnMalformed.FAIL);
    boolean hasArithmetic = train.stream().anyMatch(DemoCommand::composite);
    if (hasArithmetic != arithmeticQuestions) {
      throw new ParameterException(
          spec.commandLine(),
          "--arithmetic-questions: "
              + worldDir
              + " holds a world generated "
              + (hasArithmetic ? "with" : "without")
              + " arithmetic questions; "
              + (hasArithmetic ? "add" : "drop")
              + " the option or use another --out");
    }
    checkTypes("--warm-start-types", warmStartTypes, train);
    checkTypes("--grpo-types", grpoTypes, train);
    List<QaExample> test = QaFormat.readAll(worldDir.resolve("test.jsonl"), OnMalformed.FAIL);
    Set<String> heldOut = heldOut(passages, test);
    List<Passage> readable = passages.stream().filter(p -> !heldOut.contains(p.id())).toList();
    log.printf(
        "holding %d passages about test questions' entities out of training (the index keeps"
            + " them: only search can answer a test question)%n",
        heldOut.size());
    return new World(worldDir, indexDir, passages, train, test, readable);
  }

  /** Fails with the option's name when {@code types} names a type no training question has. */
  private void checkTypes(String option, List<String> types, List<QaExample> train) {
    if (types == null) return;
    Set<String> known = new java.util.TreeSet<>();
    for (QaExample q : train) known.add(q.type());
    for (String t : types) {
      if (!known.contains(t)) {
        throw new ParameterException(
            spec.commandLine(),
            option
                + ": unknown question type '"
                + t
                + "'; the world's types are "
                + String.join(", ", known));
      }
    }
  }

  /** The Qwen2 shape of {@code --hidden} and {@code --layers} for the tokenizer's vocabulary. */
  private Qwen2Config modelConfig(Tokenizer tok, int endOfTurn, int endOfText) {
    return Qwen2Config.of(
            tok.vocabSize(),
            hidden,
            hidden * MLP_NUMERATOR / MLP_DENOMINATOR / MLP_MULTIPLE * MLP_MULTIPLE,
            layers,
            Math.max(1, hidden / WIDTH_PER_HEAD),
            Math.max(1, hidden / WIDTH_PER_KV_HEAD),
            Math.max(MIN_CONTEXT, Math.max(seqLen, budget())))
        .withTokenIds(null, List.of(endOfTurn, endOfText));
  }

  /**
   * Stage 1: the model from scratch on the encyclopedia without the held-out passages, as renamed
   * copies with repeats (and copy drills if asked for); the copy score before and after.
   */
  private SftTrainer.Result languageModel(
      Setup setup, Qwen2Config config, World world, NameSwap names, CopyProbe copy)
      throws IOException {
    Tokenizer tok = setup.tok();
    Qwen2Model initial = Qwen2Model.random(setup.kernels(), config, seed);
    log.printf(
        "%n[1/4] language modelling on the encyclopedia: Qwen2 from scratch, %d layers,"
            + " hidden %d, %d heads (%d KV), vocab %d, %,d parameters%n",
        config.numHiddenLayers(),
        config.hiddenSize(),
        config.numAttentionHeads(),
        config.numKeyValueHeads(),
        config.vocabSize(),
        initial.parameters().count());
    // Every name word of the world, test entities' too: a renaming gives a name random facts, so
    // no test fact is learnt, while every name's tokens are trained as a name the model may have
    // to copy (a word only held-out passages use would otherwise keep its random embedding).
    List<String> encyclopedia =
        lmRenamings == 0
            ? world.readable().stream().map(Passage::contents).toList()
            : renamedCopies(world.readable(), names, lmRenamings);
    List<int[]> documents = new ArrayList<>(encyclopedia.stream().map(tok::encode).toList());
    if (lmCopyDrills > 0) {
      List<int[]> nameTokens = names.words().stream().map(w -> tok.encode(" " + w)).toList();
      long tokens = documents.stream().mapToLong(d -> d.length).sum();
      double meanDrillWords = (DRILL_MIN_WORDS + DRILL_MAX_WORDS) / 2.0;
      double drillTokens =
          2 * meanDrillWords * nameTokens.stream().mapToInt(t -> t.length).average().orElse(1);
      int drills = (int) Math.ceil(lmCopyDrills / (1 - lmCopyDrills) * tokens / drillTokens);
      documents.addAll(
          SftExample.copyDrills(nameTokens, drills, DRILL_MIN_WORDS, DRILL_MAX_WORDS, seed));
      Collections.shuffle(documents, new Random(seed));
    }
    List<SftExample> text =
        SftExample.packedWithRepeats(documents, setup.endOfText(), seqLen + 1, lmRepeats, seed);
    SftTrainer.Result lm =
        trainer(
                setup.kernels(),
                pretrainSteps,
                out.resolve("pretrain"),
                setup.save(),
                setup.endOfText())
            .withCopyProbe(copy, Math.max(1, pretrainSteps / COPY_PROBES))
            .run(
                () -> initial,
                text.subList(LM_DEV_SEQUENCES, text.size()),
                text.subList(0, LM_DEV_SEQUENCES));
    if (lm.model() != initial) initial.close();
    report("loss", lm, pretrainSteps);
    log.printf(
        "copy score (next-token accuracy on the second copy of %d random %d-token spans;"
            + " chance %.4f): %.3f -> %.3f%n",
        copy.size(), copy.span(), copy.chance(), lm.copyBefore(), lm.copyAfter());
    return lm;
  }

  /**
   * The warm start's traces: search traces of the training questions of at most {@code
   * --warm-start-max-hops} hops (and of {@code --warm-start-types}), results from the index; with
   * the arithmetic types, none of the questions that end in a computation; with the code tool, also
   * the code tool's simple cases ({@link #warmStartQuestions}).
   */
  private List<SftExample> traces(Setup setup, World world, NameSwap names) throws IOException {
    WarmStartQuestions chosen =
        warmStartQuestions(
            world.train(),
            warmStartMaxHops,
            warmStartTypes,
            setup.agent().searchOnly() ? null : codeCases);
    List<QaExample> traced = chosen.searched();
    log.printf(
        "%n[2/4] warm start on the ReSearch format: %d train questions of at most %d hops%s"
            + " written as search traces (results from the index, top-%d; loss masked on them%s)%n",
        traced.size(),
        warmStartMaxHops,
        warmStartTypes == null ? "" : " of types " + String.join(", ", warmStartTypes),
        topK,
        renameTraces ? "; names renamed" : "");
    if (arithmeticQuestions) {
      log.printf(
          "the %d training questions that end in a computation (%s) are not traced: GRPO"
              + " learns them%n",
          chosen.leftToGrpo(), String.join(", ", ARITHMETIC_TYPES));
    }
    if (setup.compared()) return mixedTraces(setup, chosen, names);
    List<SftExample> traces =
        SearchTraces.build(
            traced,
            setup.search(),
            setup.agent().template(),
            setup.tok(),
            setup.endOfTurn(),
            renameTraces ? names : null,
            seed,
            readableTraces);
    if (readableTraces) {
      log.printf(
          "%d traces whose every hop's answer the search returns (the rest are left to"
              + " GRPO)%n",
          traces.size());
    }
    return traces;
  }

  /** {@code questions} as traces under {@code kit}'s tools and prompt. */
  private List<SftExample> traces(
      Setup setup, List<QaExample> questions, Kit kit, NameSwap swap, long traceSeed) {
    return SearchTraces.build(
        questions,
        kit.tools(),
        kit.template(),
        setup.tok(),
        setup.endOfTurn(),
        swap,
        traceSeed,
        readableTraces);
  }

  /**
   * The warm start of {@code --tools search,code}: the search traces, every other one under the
   * prompt that names search and code and the rest under the one that names search alone (so that
   * both GRPO agents start from a prompt the warm start read, and a model told it has search alone
   * has never seen code called), and the code tool's simple cases under the first; shuffled, so
   * that the held-out traces are of every kind. The counts go to the log and the summary's notes.
   */
  private List<SftExample> mixedTraces(Setup setup, WarmStartQuestions chosen, NameSwap names) {
    List<QaExample> listed = new ArrayList<>();
    List<QaExample> alone = new ArrayList<>();
    for (int i = 0; i < chosen.searched().size(); i++) {
      (i % 2 == 0 ? listed : alone).add(chosen.searched().get(i));
    }
    NameSwap swap = renameTraces ? names : null;
    List<SftExample> searched = new ArrayList<>();
    searched.addAll(traces(setup, listed, setup.agent(), swap, seed));
    searched.addAll(traces(setup, alone, setup.searchOnly(), swap, seed + 1));
    List<SftExample> code = traces(setup, chosen.computations(), setup.agent(), swap, seed + 2);
    List<SftExample> traces = new ArrayList<>(searched);
    traces.addAll(code);
    Collections.shuffle(traces, new Random(seed));
    long cut = traces.stream().filter(t -> t.length() - 1 > seqLen).count();
    String counts =
        String.format(
            java.util.Locale.ROOT,
            "warm start: %d search traces, %d code-tool simple cases, 0 composite arithmetic"
                + " traces (%d arithmetic training questions left to GRPO)",
            searched.size(),
            code.size(),
            chosen.leftToGrpo());
    log.printf(
        "%s; the search traces' prompts name search and code (half) or search alone (half), the"
            + " simple cases' search and code%s%n",
        counts,
        cut == 0 ? "" : String.format("; %d traces longer than --seq-len %d are cut", cut, seqLen));
    summary.note(counts);
    return traces;
  }

  /**
   * Which training questions the warm start traces, and how ({@link WarmStartQuestions}): questions
   * of at most {@code maxHops} hops and of {@code types} (every type when null) whose hops are all
   * searches; with {@code code} (null: no code tool), every training question's computation hops as
   * questions of their own, in the forms it names.
   */
  static WarmStartQuestions warmStartQuestions(
      List<QaExample> train, int maxHops, List<String> types, CodeCases code) {
    List<QaExample> searched =
        train.stream()
            .filter(q -> q.hops().size() <= maxHops)
            .filter(q -> types == null || types.contains(q.type()))
            .filter(q -> !composite(q))
            .toList();
    List<QaExample> computations = new ArrayList<>();
    if (code != null && code.bare()) computations.addAll(SearchTraces.computations(train, false));
    if (code != null && code.facts()) computations.addAll(SearchTraces.computations(train, true));
    int left = (int) train.stream().filter(DemoCommand::composite).count();
    return new WarmStartQuestions(searched, computations, left);
  }

  /** Whether {@code q} ends in a computation: one of the composite arithmetic questions. */
  private static boolean composite(QaExample q) {
    return q.hops().stream().anyMatch(QaExample.Hop::isComputation);
  }

  /** Stage 2: the language model trained further on the traces; the copy score before and after. */
  private SftTrainer.Result warmStart(
      Setup setup, SftTrainer.Result lm, List<SftExample> traces, CopyProbe copy)
      throws IOException {
    SftTrainer.Result sft =
        trainer(setup.kernels(), sftSteps, out.resolve("sft"), setup.save(), setup.endOfText())
            .withCopyProbe(copy, Math.max(1, sftSteps / COPY_PROBES))
            .run(
                lm::model,
                traces.subList(WARM_START_DEV_TRACES, traces.size()),
                traces.subList(0, WARM_START_DEV_TRACES));
    report("loss on trained tokens", sft, sftSteps);
    log.printf("copy score %.3f -> %.3f%n", sft.copyBefore(), sft.copyAfter());
    if (lm.model() != sft.model()) lm.model().close();
    return sft;
  }

  /**
   * Stage 3: GRPO from the latest warm-start checkpoint, the paper's recipe with the demo's
   * settings, the reference the warm-start model, the agent given {@code kit} (its tools, its
   * prompt, its format rule in the reward), trained into {@code dir} (the row {@code name}); then
   * its learning curve.
   */
  private GrpoTrainer.Result grpo(Setup setup, World world, Kit kit, String dir, String name)
      throws IOException {
    boolean main = dir.equals("grpo");
    String tools =
        kit.tools().size() == 1
            ? "the " + kit.tools().names().getFirst() + " tool"
            : "the " + String.join(" and ", kit.tools().names()) + " tools";
    log.printf(
        "%n[3/4] GRPO%s: %d steps x %d questions x %d rollouts, sampled at temperature %s"
            + " with %s in the loop; reward = format rule + answer F1%s%n",
        setup.compared() ? " (" + name + ", into " + dir + "/)" : "",
        grpoSteps,
        grpoQuestions,
        generations,
        temperature,
        tools,
        grpoTypes == null ? "" : "; questions of types " + String.join(", ", grpoTypes));
    Path warmStart =
        new RunCheckpoints(out.resolve("sft"), CHECKPOINTS_KEPT).latest().orElseThrow().modelDir();
    GrpoConfig paper = GrpoConfig.paper();
    GrpoConfig rl =
        paper
            .withSteps(grpoSteps)
            .withBatch(grpoQuestions, generations)
            .withOptimizer(
                grpoLearningRate,
                Math.max(1, grpoSteps / WARMUP_DIVISOR),
                GRPO_WEIGHT_DECAY,
                MAX_GRAD_NORM)
            .withRollout(temperature, budget(), MAX_SEARCHES, GRPO_MICRO_BATCH)
            .withObjective(
                paper.beta(),
                paper.epsilon(),
                paper.epsilonHigh(),
                lossType,
                scaleRewards,
                paper.numIterations())
            .withRun(seed, GRPO_CHECKPOINT_EVERY, Math.max(1, grpoSteps / GRPO_EVALUATIONS))
            .withDynamicSampling(dynamicSampling)
            .withPassRateFilter(passRateFilter);
    List<QaExample> dev = QaFormat.readAll(world.dir().resolve("dev.jsonl"), OnMalformed.FAIL);
    GrpoTrainer.Result grpo =
        new GrpoTrainer(
                setup.kernels(),
                rl,
                out.resolve(dir),
                setup.tok(),
                kit.tools(),
                kit.template(),
                setup.eos(),
                Reward.research(formatReward, kit.rule()).withRetrievalBonus(retrievalReward),
                setup.save(),
                setup.endOfText(),
                TrainingProgress.grpo(log))
            .withBf16Caches(kvCache.bf16(setup.kernels()))
            .run(
                () -> load(setup.kernels(), warmStart),
                grpoTypes == null
                    ? world.train()
                    : world.train().stream().filter(q -> grpoTypes.contains(q.type())).toList(),
                dev.subList(0, Math.min(DEV_QUESTIONS, dev.size())));
    if (grpo.resumedFrom() >= grpoSteps) {
      log.printf("already trained (%d steps)%n", grpoSteps);
    } else {
      log.printf(
          "mean reward of the rollouts %.3f (first step) -> %.3f (last)%n",
          grpo.firstReward(), grpo.lastReward());
    }
    LearningCurveChart.write(
        out.resolve(dir).resolve("metrics.jsonl"),
        out.resolve(main ? LearningCurveChart.FILE_NAME : SEARCH_ONLY_CHART));
    return grpo;
  }

  /**
   * Stage 4: the paper's comparison on the test questions, greedy, every method on the same index:
   * the baselines and Self-Consistency on the warm-start model, then the agent at each stage.
   */
  private Map<String, List<Evaluation.Outcome>> comparison(
      Setup setup, Trained trained, List<QaExample> questions) {
    log.printf(
        "%n[4/4] the paper's comparison on %d test questions (entities never seen in"
            + " training), greedy, same index: the baselines on the warm-start model, then the agent"
            + " before and after GRPO%n",
        questions.size());
    SearchTool search = setup.search();
    RolloutEngine.Config greedy =
        new RolloutEngine.Config(budget(), MAX_SEARCHES, SamplingConfig.greedy());
    if (setup.compared()) {
      log.printf(
          "(the baselines search only; Self-Consistency, the warm start%s and %s call %s, %s"
              + " search alone; each agent's prompt names its tools and its responses are scored under"
              + " its tools' format rule)%n",
          trained.control() == null ? "" : ", the control",
          GRPO,
          String.join(" and ", setup.agent().tools().names()),
          GRPO_SEARCH_ONLY);
    }
    Map<String, QaMethod> methods = new LinkedHashMap<>();
    if (baselines) {
      BaselineModel base =
          new BaselineModel(
              trained.warmStart(),
              setup.tok(),
              setup.eos(),
              PromptStyle.tags(),
              new BaselineModel.Config(seqLen / 2, SamplingConfig.greedy()));
      methods.put("Naive Generation", new NaiveGeneration(base));
      methods.put("Naive RAG", new NaiveRag(base, search::hits));
      methods.put("Iter-RetGen", new IterRetGen(base, search::hits, IterRetGen.DEFAULT_ROUNDS));
      methods.put("IRCoT", new Ircot(base, search::hits, MAX_SEARCHES, Ircot.DEFAULT_MAX_PASSAGES));
    }
    if (baselines && samples > 0) {
      methods.put(
          "Self-Consistency", new SelfConsistency(warmStartSamples(setup, trained), samples));
    }
    Kit kit = setup.agent();
    methods.put(WARM_START, agent(setup, kit, trained.warmStart(), greedy));
    if (trained.control() != null) {
      methods.put(MORE_SFT, agent(setup, kit, trained.control(), greedy));
    }
    if (trained.grpo() != null) methods.put(GRPO, agent(setup, kit, trained.grpo(), greedy));
    if (trained.grpoSearchOnly() != null) {
      methods.put(
          GRPO_SEARCH_ONLY, agent(setup, setup.searchOnly(), trained.grpoSearchOnly(), greedy));
    }
    Map<String, List<Evaluation.Outcome>> results = new LinkedHashMap<>();
    for (Map.Entry<String, QaMethod> m : methods.entrySet()) {
      long t = System.nanoTime();
      results.put(
          m.getKey(),
          Evaluation.run(
              m.getValue(),
              Scoring.LENIENT,
              rule(setup, m.getKey()),
              questions,
              EVAL_BATCH,
              d -> {}));
      log.printf("  %s: %.1f s%n", m.getKey(), (System.nanoTime() - t) / 1e9);
    }
    return results;
  }

  /**
   * The format rule a method's responses are scored under, its tools': the baselines only search,
   * the search-only GRPO agent calls search alone, the others (Self-Consistency samples the warm
   * start) the tools of {@code --tools}.
   */
  private static FormatRule rule(Setup setup, String method) {
    return switch (method) {
      case WARM_START, MORE_SFT, GRPO, "Self-Consistency" -> setup.agent().rule();
      case GRPO_SEARCH_ONLY -> setup.searchOnly().rule();
      default -> FormatRule.SEARCH;
    };
  }

  /** The agent on {@code model} with the tools and prompt of {@code kit}, greedy. */
  private static QaMethod agent(
      Setup setup, Kit kit, Qwen2Model model, RolloutEngine.Config greedy) {
    return Evaluation.agent(
        new RolloutEngine(model, setup.tok(), kit.tools(), setup.eos()),
        greedy,
        kit.template(),
        setup.tok());
  }

  private ResponseSampler warmStartSamples(Setup setup, Trained trained) {
    if (warmStartSamples == null) {
      warmStartSamples = cached(sampler(setup, trained.warmStart()));
    }
    return warmStartSamples;
  }

  /** The agent ({@code --tools}) on {@code model} sampled at temperature 1. */
  private ResponseSampler sampler(Setup setup, Qwen2Model model) {
    return ResponseSampler.agent(
        new RolloutEngine(model, setup.tok(), setup.agent().tools(), setup.eos()),
        budget(),
        MAX_SEARCHES,
        setup.agent().template(),
        setup.tok(),
        seed);
  }

  /**
   * pass@k (Yue et al. 2025) of the warm start and the GRPO agent on the first {@code
   * --pass-k-questions} evaluated questions, into the summary and {@code pass_at_k.png}.
   */
  private Map<String, PassAtK.Result> passAtK(
      Setup setup, Trained trained, List<QaExample> questions) throws IOException {
    Map<String, PassAtK.Result> passAtK = new LinkedHashMap<>();
    List<QaExample> kQuestions = questions.subList(0, Math.min(passKQuestions, questions.size()));
    if (samples > 0 && !kQuestions.isEmpty()) {
      log.printf(
          "%npass@k (Yue et al. 2025): %d samples at temperature 1 on %d test questions,"
              + " success = F1 >= %.1f%n",
          samples, kQuestions.size(), PassAtK.SUCCESS_F1);
      passAtK.put(
          WARM_START,
          PassAtK.sample(warmStartSamples(setup, trained), kQuestions, samples, d -> {}));
      if (trained.grpo() != null) {
        passAtK.put(
            GRPO, PassAtK.sample(sampler(setup, trained.grpo()), kQuestions, samples, d -> {}));
      }
      passAtK.forEach(summary::passAtK);
      PassAtKChart.write(passAtK, out.resolve("pass_at_k.png"));
    }
    return passAtK;
  }

  /**
   * The comparison's tables: every method's scores, LLM-as-judge if configured, where the hops
   * fail, the agent's scores by question type with an example (both GRPO agents' when compared),
   * and pass@k; with more tools than search, each tool's calls per response in a column of its own,
   * and at the end the code tool's gain against its target ({@link #toolTarget}).
   */
  private void printResults(
      Map<String, List<Evaluation.Outcome>> results,
      Map<String, HopDiagnostics.Summary> diagnostics,
      Map<String, PassAtK.Result> passAtK,
      org.research4j.grpo.judge.JudgeConfig judgeConfig,
      boolean grpoTrained,
      Setup setup) {
    List<String> tools = setup.shownTools();
    Map<String, Evaluation.Summary> scores = new LinkedHashMap<>();
    results.forEach((name, outcomes) -> scores.put(name, Evaluation.summary(outcomes)));
    ResultsReport.scores(tables, "method", scores, tools);
    if (judgeConfig != null) judge(judgeConfig, results, scores, setup);
    log.printf(
        "%nwhere the hops fail (over every hop; query: names the hop's entity verbatim; gold:"
            + " its passage retrieved; answer: its answer in the results; read: of those, written out"
            + " exactly next)%n");
    ResultsReport.hops(tables, diagnostics);
    log.printf(
        "(EM and F1 read the answer leniently for every method; format is the reward's"
            + " strict rule%s)%n",
        tools.isEmpty()
            ? "; searches = retrievals"
            : " of the method's tools; calls = every tool's calls per response, then each tool's");
    String agent = grpoTrained ? GRPO : WARM_START;
    log.printf("%n%s by question type:%n", agent);
    List<Evaluation.Outcome> outcomes = results.get(agent);
    ResultsReport.scoresByType(tables, outcomes, tools);
    if (results.containsKey(GRPO_SEARCH_ONLY)) {
      log.printf("%n%s by question type:%n", GRPO_SEARCH_ONLY);
      ResultsReport.scoresByType(tables, results.get(GRPO_SEARCH_ONLY), tools);
    }
    Evaluation.Outcome shown =
        outcomes.stream()
            .filter(o -> o.score().exactMatch() > 0)
            .findFirst()
            .orElse(outcomes.getFirst());
    log.printf(
        "%nexample (%s): %s%n%s%n",
        shown.question().type(), shown.question().question(), shown.rollout().text());
    if (!passAtK.isEmpty()) {
      log.println();
      ResultsReport.passAtK(tables, passAtK);
    }
    if (results.containsKey(GRPO_SEARCH_ONLY)) {
      String target = toolTarget(results.get(GRPO), results.get(GRPO_SEARCH_ONLY));
      log.printf("%n%s%n", target);
      summary.note(target);
    }
  }

  /**
   * Issue #10's target, in one line: the F1 of the search+code agent minus that of the search-only
   * one after GRPO, over the test questions of the arithmetic types (at least {@value
   * #ARITHMETIC_TARGET}) and over those of one_hop and the two-hop types (at least {@value
   * #OTHER_TARGET}); each F1 is the mean over the questions of those types together.
   */
  static String toolTarget(
      List<Evaluation.Outcome> searchAndCode, List<Evaluation.Outcome> searchOnly) {
    return "search+code vs search only after GRPO: "
        + difference(
            "arithmetic types", ARITHMETIC_TYPES, ARITHMETIC_TARGET, searchAndCode, searchOnly)
        + "; "
        + difference(
            "one_hop and two-hop types", SEARCH_TYPES, OTHER_TARGET, searchAndCode, searchOnly);
  }

  /**
   * One half of {@link #toolTarget}: F1 of both agents on {@code types}, the difference, met or
   * not.
   */
  private static String difference(
      String what,
      List<String> types,
      double target,
      List<Evaluation.Outcome> searchAndCode,
      List<Evaluation.Outcome> searchOnly) {
    List<Evaluation.Outcome> a =
        searchAndCode.stream().filter(o -> types.contains(o.question().type())).toList();
    List<Evaluation.Outcome> b =
        searchOnly.stream().filter(o -> types.contains(o.question().type())).toList();
    String head = String.format(java.util.Locale.ROOT, "%s (%d questions)", what, a.size());
    if (a.isEmpty())
      return head
          + " none evaluated (target "
          + String.format(java.util.Locale.ROOT, "%+.2f", target)
          + ")";
    double f1a = Evaluation.summary(a).f1();
    double f1b = Evaluation.summary(b).f1();
    double d = f1a - f1b;
    return String.format(
        java.util.Locale.ROOT,
        "%s F1 %.3f - %.3f = %+.3f (target >= %+.2f: %s)",
        head,
        f1a,
        f1b,
        d,
        target,
        d >= target ? "met" : "not met");
  }

  /**
   * LLM-as-judge ({@code --judge-url}): every method's answers, read as EM reads them, judged
   * against their golden answers; the LJ score per method and question type goes into the summary
   * and a table of its own, followed by the judge's counts (unparseable verdicts among them).
   */
  private void judge(
      org.research4j.grpo.judge.JudgeConfig config,
      Map<String, List<Evaluation.Outcome>> results,
      Map<String, Evaluation.Summary> scores,
      Setup setup) {
    long start = System.nanoTime();
    log.printf(
        "%nLLM-as-judge: %s at %s says whether each answer is correct given its question and"
            + " golden answers%n",
        config.model(), config.url());
    Map<String, org.research4j.grpo.judge.JudgedScores> judged = new LinkedHashMap<>();
    try (org.research4j.grpo.judge.LlmJudge judge =
        new org.research4j.grpo.judge.LlmJudge(config)) {
      results.forEach(
          (name, outcomes) -> {
            org.research4j.grpo.judge.JudgedScores lj =
                org.research4j.grpo.judge.JudgedScores.of(judge, outcomes, rule(setup, name));
            judged.put(name, lj);
            summary.judged(name, lj.all(), lj.byType());
          });
      List<String> types =
          List.copyOf(Evaluation.byType(results.values().iterator().next()).keySet());
      ResultsReport.judged(tables, scores, judged, types);
      log.println(JudgeOptions.report(judge, config.model()));
    }
    summary.stageSince(DemoSummary.JUDGE, start);
  }

  private SftTrainer trainer(
      Kernels kernels, int steps, Path dir, CheckpointWriter.Options save, int pad) {
    SftConfig c =
        SftConfig.defaults()
            .withSteps(steps)
            .withBatch(batch, seqLen)
            .withOptimizer(
                learningRate, Math.max(1, steps / WARMUP_DIVISOR), SFT_WEIGHT_DECAY, MAX_GRAD_NORM)
            .withMinLrFraction(SFT_MIN_LR_FRACTION)
            .withRun(seed, SFT_CHECKPOINT_EVERY, Math.max(1, steps / SFT_EVALUATIONS));
    return new SftTrainer(kernels, c, dir, save, pad, TrainingProgress.sft(log));
  }

  /**
   * The supervised control: the warm start's training continued on its own traces (a fresh
   * optimiser, the learning rate the warm start's cosine ended at, held constant) for as many steps
   * as fit in the seconds GRPO spent on its rollouts and updates, both read from the metrics logs
   * so that a resumed run plans the same number of steps.
   */
  private SftTrainer.Result supervisedControl(
      Kernels kernels, CheckpointWriter.Options save, int pad, List<SftExample> traces)
      throws IOException {
    Path wsMetrics = out.resolve("sft").resolve("metrics.jsonl");
    double wsSecondsPerStep = MetricsLog.sum(wsMetrics, "tokens", "tokens_per_s") / sftSteps;
    double grpoSeconds =
        MetricsLog.sum(out.resolve("grpo").resolve("metrics.jsonl"), "rollout_s")
            + MetricsLog.sum(out.resolve("grpo").resolve("metrics.jsonl"), "update_s");
    int steps = (int) Math.max(1, Math.round(grpoSeconds / wsSecondsPerStep));
    float lr = learningRate * SFT_MIN_LR_FRACTION;
    Path warmStart =
        new RunCheckpoints(out.resolve("sft"), CHECKPOINTS_KEPT).latest().orElseThrow().modelDir();
    log.printf(
        "%n[control] supervised training alone for GRPO's time: the warm start continued for"
            + " %d steps on its traces (GRPO trained %.0f s, the warm start %.2f s a step), learning rate"
            + " %.1e constant%n",
        steps, grpoSeconds, wsSecondsPerStep, lr);
    SftConfig c =
        SftConfig.defaults()
            .withSteps(steps)
            .withBatch(batch, seqLen)
            .withOptimizer(lr, 0, SFT_WEIGHT_DECAY, MAX_GRAD_NORM)
            .withMinLrFraction(1f)
            .withRun(seed + 1, SFT_CHECKPOINT_EVERY, Math.max(1, steps / SFT_EVALUATIONS));
    SftTrainer.Result r =
        new SftTrainer(kernels, c, out.resolve("sft-control"), save, pad, TrainingProgress.sft(log))
            .run(
                () -> load(kernels, warmStart),
                traces.subList(WARM_START_DEV_TRACES, traces.size()),
                traces.subList(0, WARM_START_DEV_TRACES));
    double before = MetricsLog.last(wsMetrics, "dev_loss");
    double after = MetricsLog.last(out.resolve("sft-control").resolve("metrics.jsonl"), "dev_loss");
    log.printf(
        "warm-start held-out loss %.4f -> %.4f after %d more supervised steps (%+.1f %%)%n",
        before, after, steps, 100 * (after - before) / before);
    summary.note(
        String.format(
            java.util.Locale.ROOT,
            "%s: %d more supervised steps (GRPO trained" + " %.0f s); held-out loss %.4f -> %.4f",
            MORE_SFT,
            steps,
            grpoSeconds,
            before,
            after));
    return r;
  }

  private void report(String what, SftTrainer.Result r, int steps) {
    if (r.resumedFrom() >= steps) {
      log.printf("already trained (%d steps); held-out loss %.3f%n", steps, r.devLossAfter());
    } else {
      log.printf(
          "%s %.3f -> %.3f; held-out loss %.3f -> %.3f%n",
          what, r.firstLoss(), r.lastLoss(), r.devLossBefore(), r.devLossAfter());
    }
  }

  private Tokenizer tokenizer(List<Passage> passages, List<QaExample> train) throws IOException {
    Path file = out.resolve("tokenizer.json");
    if (Files.exists(file)) return Tokenizer.load(file);
    log.printf(
        "training a %d-token byte-level BPE on %d passages and %d questions%n",
        vocab, passages.size(), train.size());
    List<String> texts = new ArrayList<>();
    for (Passage p : passages) texts.add(p.contents());
    for (QaExample q : train) texts.add(q.question());
    Tokenizer tok = BpeTrainer.research(vocab).train(texts);
    tok.save(file);
    return tok;
  }

  /** The agent's response budget: {@code --max-completion-length}, or the training window. */
  private int budget() {
    return maxResponseTokens > 0 ? maxResponseTokens : seqLen;
  }

  /** {@code copies} renamings of every passage, each passage renamed on its own. */
  private List<String> renamedCopies(List<Passage> passages, NameSwap names, int copies) {
    Random rnd = new Random(seed ^ RENAMING_SEED_SALT);
    List<String> out = new ArrayList<>(passages.size() * copies);
    for (int c = 0; c < copies; c++) {
      for (Passage p : passages) {
        String text = p.contents();
        out.add(NameSwap.apply(text, names.renaming(List.of(text), text, rnd)));
      }
    }
    return out;
  }

  /**
   * A sampler that draws each question's responses once, so Self-Consistency and pass@k share them.
   */
  private static ResponseSampler cached(ResponseSampler sampler) {
    Map<String, List<Rollout>> drawn = new HashMap<>();
    return (q, n) -> {
      List<Rollout> have = drawn.get(q.id());
      if (have == null || have.size() != n) {
        have = sampler.sample(q, n);
        drawn.put(q.id(), have);
      }
      return have;
    };
  }

  private static Qwen2Model load(Kernels kernels, Path dir) {
    try {
      return Qwen2Model.load(kernels, dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load the warm-start model from " + dir, e);
    }
  }

  /**
   * The passages a test question is answered from (its hops' supporting passages) and those whose
   * subject is an entity a test question names: training never reads them.
   */
  private static Set<String> heldOut(List<Passage> passages, List<QaExample> test) {
    Set<String> ids = new HashSet<>();
    Set<String> entities = new HashSet<>();
    for (QaExample q : test) {
      ids.addAll(q.supportingPassages());
      entities.addAll(q.entities());
    }
    for (Passage p : passages) {
      if (entities.contains(p.title())) ids.add(p.id());
    }
    return ids;
  }

  private static boolean isIndex(Path dir) {
    try {
      Index.check(dir);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
