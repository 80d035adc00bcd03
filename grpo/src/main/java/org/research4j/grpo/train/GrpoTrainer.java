package org.research4j.grpo.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.research4j.grpo.eval.Evaluation;
import org.research4j.grpo.eval.HopDiagnostics;
import org.research4j.grpo.reward.ReSearchReward;
import org.research4j.grpo.reward.Reward;
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.grpo.rollout.RolloutEngine;
import org.research4j.grpo.run.MetricsLog;
import org.research4j.grpo.run.TrainingListener;
import org.research4j.grpo.run.TrainingRun;
import org.research4j.grpo.tool.Tool;
import org.research4j.grpo.tool.Tools;
import org.research4j.kernels.Kernels;
import org.research4j.search.flashrag.QaExample;
import org.research4j.tensor.AdamW;
import org.research4j.tensor.Tape;
import org.research4j.transformer.checkpoint.CheckpointWriter;
import org.research4j.transformer.generate.SamplingConfig;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.tokenizer.Tokenizer;

/**
 * The GRPO loop (docs/ARCHITECTURE.md, "From a question to a gradient"). Per step: take the next
 * questions, roll each out {@code G} times with the search tool in the loop, score every response,
 * turn rewards into group advantages, then update the policy {@code μ} times on those rollouts with
 * the clipped, KL-regularised per-token loss, accumulated over micro-batches, clipped to a global
 * norm, AdamW. A metrics line per step and resumable checkpoints (the {@link TrainingRun}
 * skeleton), progress and notes to a {@link TrainingListener}. A run directory that already holds a
 * checkpoint continues from it: the question order ({@link QuestionStream}, its cursor saved with
 * the checkpoint) and the sampling seed of each step's rollout rounds depend only on the run seed
 * and the step, and the frozen reference is the initial policy, rebuilt by {@code initial}.
 */
public final class GrpoTrainer {
  private final Kernels kernels;
  private final GrpoConfig config;
  private final Path runDir;
  private final Tokenizer tok;
  private final Tools tools;
  private final PromptTemplate template;
  private final Set<Integer> eos;
  private final Reward reward;
  private final CheckpointWriter.Options modelOptions;
  private final int padId;
  private final TrainingListener listener;
  private Supplier<Qwen2Model> referenceModel;
  private boolean bf16Caches;

  /** What a finished run reports; the eval summaries are null when evaluation is off. */
  public record Result(
      Qwen2Model model,
      int resumedFrom,
      double firstReward,
      double lastReward,
      Evaluation.Summary evalBefore,
      Evaluation.Summary evalAfter) {}

  /** What one step measured, written as its metrics line. */
  public record StepStats(
      int step,
      double reward,
      double rewardStd,
      double f1,
      double exactMatch,
      double wellFormed,
      double searches,
      double responseTokens,
      double trainedTokens,
      double flatGroups,
      double kl,
      double clipFraction,
      double loss,
      double gradNorm,
      float lr,
      double rolloutSeconds,
      double updateSeconds,
      int groupsSeen,
      int flatGroupsSeen,
      int groupsDropped,
      int extraRolloutRounds,
      int groupsTrained,
      double passRate,
      int questionsSkipped,
      Map<String, Double> callsByTool) {}

  /** The paper's trainer: one tool (search). */
  public GrpoTrainer(
      Kernels kernels,
      GrpoConfig config,
      Path runDir,
      Tokenizer tok,
      Tool tool,
      PromptTemplate template,
      Set<Integer> eos,
      Reward reward,
      CheckpointWriter.Options modelOptions,
      int padId,
      TrainingListener listener) {
    this(
        kernels,
        config,
        runDir,
        tok,
        Tools.of(tool),
        template,
        eos,
        reward,
        modelOptions,
        padId,
        listener);
  }

  /**
   * A trainer whose policy may call any of {@code tools}; {@code reward} should use their format
   * rule ({@link Reward#research(double, org.research4j.grpo.reward.FormatRule)}).
   */
  public GrpoTrainer(
      Kernels kernels,
      GrpoConfig config,
      Path runDir,
      Tokenizer tok,
      Tools tools,
      PromptTemplate template,
      Set<Integer> eos,
      Reward reward,
      CheckpointWriter.Options modelOptions,
      int padId,
      TrainingListener listener) {
    this.kernels = kernels;
    this.config = config;
    this.runDir = runDir;
    this.tok = tok;
    this.tools = tools;
    this.template = template;
    this.eos = Set.copyOf(eos);
    this.reward = reward;
    this.modelOptions = modelOptions;
    this.padId = padId;
    this.listener = listener;
  }

  /**
   * Builds the frozen reference with {@code reference} instead of {@code initial}: the same
   * weights, kept as the caller chooses (e.g. {@code Qwen2Model.load(kernels, dir,
   * WeightPrecision.BF16)}, frozen bfloat16 at a quarter of a trainable float32 model's memory).
   * Returns this trainer.
   */
  /**
   * Rollouts keep their KV caches in bfloat16 ({@link Qwen2Model#bf16Caches}); the update's log
   * probabilities are computed without a cache, in float32, either way.
   */
  public GrpoTrainer withBf16Caches(boolean on) {
    this.bf16Caches = on;
    return this;
  }

  public GrpoTrainer withReference(Supplier<Qwen2Model> reference) {
    this.referenceModel = reference;
    return this;
  }

  /**
   * Trains on {@code train}, evaluating greedily on {@code dev}. {@code initial} builds the
   * starting policy; it is called again for the frozen reference (when β > 0), so every call must
   * give the same weights (a checkpoint load, or a seeded random model).
   */
  public Result run(Supplier<Qwen2Model> initial, List<QaExample> train, List<QaExample> dev)
      throws IOException {
    return runUntil(config.steps(), initial, train, dev);
  }

  /** Like {@link #run} but stops after step {@code lastStep}, saving a checkpoint there. */
  public Result runUntil(
      int lastStep, Supplier<Qwen2Model> initial, List<QaExample> train, List<QaExample> dev)
      throws IOException {
    if (train.isEmpty()) throw new IllegalArgumentException("GRPO: no training questions");
    AdamW.Config adam =
        AdamW.Config.of(config.learningRate())
            .withWeightDecay(config.weightDecay())
            .withBetas(config.adamBeta1(), config.adamBeta2());
    TrainingRun run =
        new TrainingRun(
            kernels,
            runDir,
            modelOptions,
            "grpo",
            config.steps(),
            config.checkpointEvery(),
            listener);
    return run.run(lastStep, initial, adam, new Steps(initial, train, dev));
  }

  /** The GRPO steps inside the {@link TrainingRun} skeleton. */
  private final class Steps implements TrainingRun.Loop<Result> {
    private final Supplier<Qwen2Model> initial;
    private final List<QaExample> train;
    private final List<QaExample> dev;
    private final QuestionStream questions;
    private final RolloutEngine.Config greedy =
        new RolloutEngine.Config(
            config.maxCompletionLength(), config.maxToolCalls(), SamplingConfig.greedy());
    private long signalGroups; // groups with unequal rewards in steps 1..step; -1: not known
    private RolloutEngine engine;
    private Qwen2Model reference;
    private Evaluation.Summary before;
    private Evaluation.Summary after;
    private StepStats stats;
    private double first = Double.NaN;
    private double last = Double.NaN;

    Steps(Supplier<Qwen2Model> initial, List<QaExample> train, List<QaExample> dev) {
      this.initial = initial;
      this.train = train;
      this.dev = dev;
      this.questions = new QuestionStream(train.size(), config.seed(), config.passRateFilter());
    }

    @Override
    public void begin(TrainingRun.Session run) throws IOException {
      if (run.resumed().isPresent()) {
        ObjectNode state = run.resumed().get();
        if (!questions.restore(state, (long) run.start() * config.questionsPerStep())) {
          listener.note(
              String.format(
                  "warning: the checkpoint was trained on %d questions, this"
                      + " run has %d; the question order does not continue the one it had",
                  state.path("train_questions").asInt(), train.size()));
        }
        signalGroups = state.path("groups_with_variance").asLong(-1);
      }
      engine = new RolloutEngine(run.model(), tok, tools, eos);
      Supplier<Qwen2Model> frozen = referenceModel != null ? referenceModel : initial;
      reference = config.beta() > 0 ? frozen.get() : null;
      if (config.evalEvery() > 0 && !dev.isEmpty() && run.start() == 0) {
        List<Evaluation.Outcome> outcomes = evaluate(engine, greedy, dev);
        before = Evaluation.summary(outcomes);
        run.metrics().write(evalLine(MetricsLog.line().put("step", 0), outcomes));
      }
      after = before;
    }

    @Override
    public double train(TrainingRun.Session run, int step) {
      stats =
          step(step, engine, run.model(), reference, run.tape(), run.optimizer(), train, questions);
      if (signalGroups >= 0) signalGroups += stats.groupsSeen() - stats.flatGroupsSeen();
      if (step == run.start() + 1) first = stats.reward();
      last = stats.reward();
      return stats.loss();
    }

    @Override
    public ObjectNode metrics(TrainingRun.Session run, int step) {
      ObjectNode line = line(stats);
      if (config.evalEvery() > 0
          && !dev.isEmpty()
          && (step % config.evalEvery() == 0 || step == config.steps())) {
        List<Evaluation.Outcome> outcomes = evaluate(engine, greedy, dev);
        after = Evaluation.summary(outcomes);
        evalLine(line, outcomes);
      }
      return line;
    }

    @Override
    public ObjectNode state() {
      ObjectNode state = MetricsLog.line().put("groups_with_variance", signalGroups);
      questions.save(state);
      return state;
    }

    @Override
    public Result end(TrainingRun.Session run) {
      if (run.end() > run.start() && signalGroups == 0) {
        listener.note(
            String.format(
                "steps 1-%d: every group of every step had equal rewards; the"
                    + " run had no policy-gradient signal",
                run.end()));
      }
      return new Result(run.model(), run.start(), first, last, before, after);
    }

    @Override
    public void close() {
      if (reference != null) reference.close();
    }
  }

  /**
   * One GRPO step: draw questions, roll each out G times, score; under dynamic sampling drop the
   * groups whose rewards are all equal and draw further rounds until {@code questionsPerStep}
   * groups have variance or {@code maxNumGenBatches} rounds ran; then the μ updates on the groups
   * kept (none when no group was kept). Reward, F1 and the other rollout metrics cover every
   * rollout of the step, kept or dropped.
   */
  StepStats step(
      int step,
      RolloutEngine engine,
      Qwen2Model policy,
      Qwen2Model reference,
      Tape tape,
      AdamW opt,
      List<QaExample> train,
      QuestionStream questions) {
    if (policy.bf16Caches() != bf16Caches) policy.bf16Caches(bf16Caches);
    int g = config.numGenerations();
    int q = config.questionsPerStep();
    long t0 = System.nanoTime();
    List<Rollout> kept = new ArrayList<>(q * g);
    List<Double> keptRewards = new ArrayList<>(q * g);
    List<Double> all = new ArrayList<>(q * g);
    double f1 = 0, em = 0, ok = 0, searches = 0, length = 0, passed = 0;
    long trainedTotal = 0;
    Map<String, Double> byTool = new LinkedHashMap<>();
    for (String name : tools.names()) byTool.put(name, 0.0);
    int seen = 0, flat = 0, keptGroups = 0, skipped = 0, rounds = 0;
    while (true) {
      // After the first round, enough questions to fill the batch at the keep rate seen so far.
      int want =
          rounds == 0 || keptGroups == 0
              ? q
              : (int) Math.min(q, Math.ceil((double) (q - keptGroups) * seen / keptGroups));
      QuestionStream.Draw draw = questions.draw(want);
      skipped += draw.skipped();
      List<QaExample> drawn = new ArrayList<>(want);
      for (int idx : draw.indices()) drawn.add(train.get(idx));
      List<Rollout> rollouts = rollOut(engine, drawn, step, rounds);
      // The update does not use the weights the kernels packed for decoding: free them (as much
      // memory as the float32 policy; at the 0.5B shape the update ran out of a 15 GB heap).
      policy.forgetDerived();
      rounds++;
      for (int k = 0; k < drawn.size(); k++) {
        double[] group = new double[g];
        int pass = 0;
        for (int i = 0; i < g; i++) {
          Rollout r = rollouts.get(k * g + i);
          ReSearchReward.Score sc = reward.score(r, drawn.get(k));
          group[i] = sc.reward();
          all.add(sc.reward());
          f1 += sc.f1();
          em += sc.exactMatch();
          ok += sc.verdict().wellFormed() ? 1 : 0;
          pass += sc.f1() >= QuestionStream.PASS_F1 ? 1 : 0;
          searches += r.toolCalls();
          r.callsByTool().forEach((t, c) -> byTool.merge(t, (double) c, Double::sum));
          length += r.response().length;
          trainedTotal += PolicyBatch.trainedTokens(r);
        }
        passed += pass;
        questions.record(draw.indices().get(k), pass, g);
        boolean isFlat = Advantages.flatGroups(group, g) == 1;
        seen++;
        flat += isFlat ? 1 : 0;
        if ((config.dynamicSampling() && isFlat) || keptGroups >= q) continue;
        keptGroups++;
        for (int i = 0; i < g; i++) {
          kept.add(rollouts.get(k * g + i));
          keptRewards.add(group[i]);
        }
      }
      if (!config.dynamicSampling() || keptGroups >= q || rounds >= config.maxNumGenBatches()) {
        break;
      }
    }
    long t1 = System.nanoTime();
    double[] rewards = keptRewards.stream().mapToDouble(Double::doubleValue).toArray();
    PolicyUpdate.Result u =
        kept.isEmpty()
            ? new PolicyUpdate.Result(0, 0, 0, 0)
            : update(step, policy, reference, tape, opt, kept, rewards);
    long t2 = System.nanoTime();
    if (flat == seen) {
      listener.note(
          String.format(
              config.dynamicSampling()
                  ? "step %d: every group had equal rewards (%d groups in %d rollout rounds); no gradient"
                      + " this step, update skipped"
                  : "step %d: every group had equal rewards (%d groups); no policy-gradient signal this"
                      + " step (advantages all 0)",
              step,
              seen,
              rounds));
    }
    int n = all.size();
    double mean = 0;
    for (double r : all) mean += r / n;
    double var = 0;
    for (double r : all) var += (r - mean) * (r - mean) / n;
    byTool.replaceAll((t, c) -> c / n);
    return new StepStats(
        step,
        mean,
        Math.sqrt(var),
        f1 / n,
        em / n,
        ok / n,
        searches / n,
        length / n,
        (double) trainedTotal / n,
        (double) flat / seen,
        u.kl(),
        u.clipFraction(),
        u.loss(),
        u.gradNorm(),
        config.learningRateAt(step),
        (t1 - t0) / 1e9,
        (t2 - t1) / 1e9,
        seen,
        flat,
        seen - keptGroups,
        rounds - 1,
        keptGroups,
        passed / n,
        skipped,
        byTool);
  }

  /**
   * G rollouts of each question. The sampling seed depends on {@code (seed, step, round)} only;
   * round 0 keeps the seed the plain recipe always had.
   */
  private List<Rollout> rollOut(
      RolloutEngine engine, List<QaExample> questions, int step, int round) {
    int g = config.numGenerations();
    List<int[]> prompts = new ArrayList<>(questions.size() * g);
    for (QaExample q : questions) {
      int[] p = tok.encode(template.render(q.question()));
      for (int i = 0; i < g; i++) prompts.add(p);
    }
    SamplingConfig sampling =
        SamplingConfig.sampling(
            config.temperature(), config.seed() * 1_000_003L + step + round * 0x9E3779B97F4A7C15L);
    return engine.run(
        prompts,
        new RolloutEngine.Config(config.maxCompletionLength(), config.maxToolCalls(), sampling));
  }

  /** The μ policy updates of one step on its scored rollouts ({@link PolicyUpdate#apply}). */
  PolicyUpdate.Result update(
      int step,
      Qwen2Model policy,
      Qwen2Model reference,
      Tape tape,
      AdamW opt,
      List<Rollout> rollouts,
      double[] rewards) {
    return new PolicyUpdate(config, padId)
        .apply(step, policy, reference, tape, opt, rollouts, rewards);
  }

  private List<Evaluation.Outcome> evaluate(
      RolloutEngine engine, RolloutEngine.Config greedy, List<QaExample> dev) {
    return Evaluation.run(
        engine, greedy, template, tok, dev, Math.max(1, config.microBatch() * 2), done -> {});
  }

  /** A step's metrics line; {@code calls_TOOL} per registered tool after the paper's keys. */
  private static ObjectNode line(StepStats s) {
    ObjectNode line =
        MetricsLog.line()
            .put("step", s.step())
            .put("reward", s.reward())
            .put("reward_std", s.rewardStd())
            .put("f1", s.f1())
            .put("em", s.exactMatch())
            .put("well_formed", s.wellFormed())
            .put("searches", s.searches())
            .put("response_tokens", s.responseTokens())
            .put("trained_tokens", s.trainedTokens())
            .put("flat_groups", s.flatGroups())
            .put("kl", s.kl())
            .put("clip_fraction", s.clipFraction())
            .put("loss", s.loss())
            .put("grad_norm", s.gradNorm())
            .put("lr", s.lr())
            .put("rollout_s", s.rolloutSeconds())
            .put("update_s", s.updateSeconds())
            .put("groups_seen", s.groupsSeen())
            .put("flat_groups_seen", s.flatGroupsSeen())
            .put("groups_dropped", s.groupsDropped())
            .put("extra_rollout_rounds", s.extraRolloutRounds())
            .put("groups_trained", s.groupsTrained())
            .put("pass_rate", s.passRate())
            .put("questions_skipped", s.questionsSkipped());
    s.callsByTool().forEach((t, c) -> line.put("calls_" + t, c));
    return line;
  }

  /** The dev evaluation's scores and, where its questions record their hops, where they fail. */
  private ObjectNode evalLine(ObjectNode line, List<Evaluation.Outcome> outcomes) {
    Evaluation.Summary e = Evaluation.summary(outcomes);
    line.put("eval_em", e.exactMatch())
        .put("eval_f1", e.f1())
        .put("eval_reward", e.reward())
        .put("eval_well_formed", e.wellFormed())
        .put("eval_searches", e.searches())
        .put("eval_response_tokens", e.responseTokens());
    e.callsByTool().forEach((t, c) -> line.put("eval_calls_" + t, c));
    HopDiagnostics.summary(outcomes, tools::passage)
        .rates()
        .forEach(
            (k, v) -> {
              if (!v.isNaN() && !k.equals("hops") && !k.startsWith("hop"))
                line.put("eval_diag_" + k, v);
            });
    return line;
  }
}
