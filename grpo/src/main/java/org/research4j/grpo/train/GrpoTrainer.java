package org.research4j.grpo.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import me.tongfei.progressbar.ProgressBar;
import org.research4j.grpo.eval.Evaluation;
import org.research4j.grpo.reward.ReSearchReward;
import org.research4j.grpo.reward.Reward;
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.grpo.rollout.RolloutEngine;
import org.research4j.grpo.run.MetricsLog;
import org.research4j.grpo.run.RunCheckpoints;
import org.research4j.grpo.run.StepProgress;
import org.research4j.grpo.tool.Tool;
import org.research4j.kernels.Kernels;
import org.research4j.search.flashrag.QaExample;
import org.research4j.tensor.AdamW;
import org.research4j.tensor.Tape;
import org.research4j.transformer.checkpoint.CheckpointWriter;
import org.research4j.transformer.generate.SamplingConfig;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.tokenizer.Tokenizer;

/**
 * The GRPO loop (DESIGN.md, "One GRPO step, as data"). Per step: take the next questions, roll
 * each out {@code G} times with the search tool in the loop, score every response, turn rewards
 * into group advantages, then update the policy {@code μ} times on those rollouts with the clipped,
 * KL-regularised per-token loss, accumulated over micro-batches, clipped to a global norm, AdamW.
 * A metrics line per step; resumable checkpoints. A run directory that already holds a checkpoint
 * continues from it: the questions and the sampling seed of step {@code s} depend only on {@code
 * (seed, s)}, and the frozen reference is the initial policy, rebuilt by {@code initial}.
 */
public final class GrpoTrainer {
  private final Kernels kernels;
  private final GrpoConfig config;
  private final Path runDir;
  private final Tokenizer tok;
  private final Tool tool;
  private final PromptTemplate template;
  private final Set<Integer> eos;
  private final Reward reward;
  private final CheckpointWriter.Options modelOptions;
  private final int padId;
  private final PrintStream log;

  /** What a finished run reports; the eval summaries are null when evaluation is off. */
  public record Result(Qwen2Model model, int resumedFrom, double firstReward, double lastReward,
      Evaluation.Summary evalBefore, Evaluation.Summary evalAfter) {}

  /** What one step measured, written as its metrics line. */
  public record StepStats(int step, double reward, double rewardStd, double f1, double exactMatch,
      double wellFormed, double searches, double responseTokens, double trainedTokens,
      double flatGroups, double kl, double clipFraction, double loss, double gradNorm, float lr,
      double rolloutSeconds, double updateSeconds) {}

  public GrpoTrainer(Kernels kernels, GrpoConfig config, Path runDir, Tokenizer tok, Tool tool,
      PromptTemplate template, Set<Integer> eos, Reward reward,
      CheckpointWriter.Options modelOptions, int padId, PrintStream log) {
    this.kernels = kernels;
    this.config = config;
    this.runDir = runDir;
    this.tok = tok;
    this.tool = tool;
    this.template = template;
    this.eos = Set.copyOf(eos);
    this.reward = reward;
    this.modelOptions = modelOptions;
    this.padId = padId;
    this.log = log;
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
  public Result runUntil(int lastStep, Supplier<Qwen2Model> initial, List<QaExample> train,
      List<QaExample> dev) throws IOException {
    if (train.isEmpty()) throw new IllegalArgumentException("GRPO: no training questions");
    int end = Math.min(lastStep, config.steps());
    Files.createDirectories(runDir);
    RunCheckpoints checkpoints = new RunCheckpoints(runDir, 2);
    Optional<RunCheckpoints.Saved> saved = checkpoints.latest();
    Qwen2Model policy = saved.isPresent() ? checkpoints.loadModel(kernels, saved.get()) : initial.get();
    int start = saved.map(RunCheckpoints.Saved::step).orElse(0);
    if (saved.isPresent()) {
      log.printf("resuming from %s (step %d of %d)%n", saved.get().dir(), start, config.steps());
    }
    AdamW.Config adam = AdamW.Config.of(config.learningRate())
        .withWeightDecay(config.weightDecay()).withBetas(0.9f, 0.999f);
    RolloutEngine engine = new RolloutEngine(policy, tok, tool, eos);
    RolloutEngine.Config greedy = new RolloutEngine.Config(config.maxCompletionLength(),
        config.maxToolCalls(), SamplingConfig.greedy());
    try (Qwen2Model reference = config.beta() > 0 ? initial.get() : null;
        Tape tape = new Tape(kernels);
        AdamW opt = new AdamW(policy.parameters(), adam);
        MetricsLog metrics = MetricsLog.resumeAt(runDir.resolve("metrics.jsonl"), start)) {
      if (saved.isPresent()) checkpoints.restoreOptimizer(saved.get(), opt);
      Evaluation.Summary before = null;
      if (config.evalEvery() > 0 && !dev.isEmpty() && start == 0) {
        before = evaluate(engine, greedy, dev);
        metrics.write(evalLine(MetricsLog.line().put("step", 0), before));
      }
      double first = Double.NaN;
      double last = Double.NaN;
      Evaluation.Summary after = before;
      try (ProgressBar bar = StepProgress.of("grpo", config.steps(), start)) {
        for (int step = start + 1; step <= end; step++) {
          StepStats s = step(step, engine, policy, reference, tape, opt, questionsOf(train, step));
          if (step == start + 1) first = s.reward();
          last = s.reward();
          ObjectNode line = line(s);
          if (config.evalEvery() > 0 && !dev.isEmpty()
              && (step % config.evalEvery() == 0 || step == config.steps())) {
            after = evaluate(engine, greedy, dev);
            evalLine(line, after);
          }
          metrics.write(line);
          bar.stepTo(step);
          bar.setExtraMessage(String.format("reward %.3f  format %.0f%%  searches %.2f",
              s.reward(), 100 * s.wellFormed(), s.searches()));
          if (step % config.checkpointEvery() == 0 || step == end) {
            checkpoints.save(step, policy, modelOptions, opt, MetricsLog.line());
          }
        }
      }
      return new Result(policy, start, first, last, before, after);
    }
  }

  /** One GRPO step on {@code questions}: rollouts, rewards, advantages, μ updates. */
  StepStats step(int step, RolloutEngine engine, Qwen2Model policy, Qwen2Model reference,
      Tape tape, AdamW opt, List<QaExample> questions) {
    int g = config.numGenerations();
    long t0 = System.nanoTime();
    List<int[]> prompts = new ArrayList<>(questions.size() * g);
    for (QaExample q : questions) {
      int[] p = tok.encode(template.render(q.question()));
      for (int i = 0; i < g; i++) prompts.add(p);
    }
    SamplingConfig sampling = SamplingConfig.sampling(config.temperature(),
        config.seed() * 1_000_003L + step);
    List<Rollout> rollouts = engine.run(prompts, new RolloutEngine.Config(
        config.maxCompletionLength(), config.maxToolCalls(), sampling));
    int n = rollouts.size();
    double[] rewards = new double[n];
    double f1 = 0, em = 0, ok = 0, searches = 0, length = 0;
    int trainedTotal = 0;
    for (int i = 0; i < n; i++) {
      Rollout r = rollouts.get(i);
      ReSearchReward.Score sc = reward.score(r, questions.get(i / g).goldenAnswers());
      rewards[i] = sc.reward();
      f1 += sc.f1();
      em += sc.exactMatch();
      ok += sc.verdict().wellFormed() ? 1 : 0;
      searches += r.toolCalls();
      length += r.response().length;
      trainedTotal += PolicyBatch.trainedTokens(r);
    }
    long t1 = System.nanoTime();
    PolicyUpdate.Result u = update(step, policy, reference, tape, opt, rollouts, rewards);
    long t2 = System.nanoTime();
    double mean = 0;
    for (double r : rewards) mean += r / n;
    double var = 0;
    for (double r : rewards) var += (r - mean) * (r - mean) / n;
    return new StepStats(step, mean, Math.sqrt(var), f1 / n, em / n, ok / n, searches / n,
        length / n, (double) trainedTotal / n, Advantages.flatGroups(rewards, g),
        u.kl(), u.clipFraction(), u.loss(), u.gradNorm(), config.learningRateAt(step),
        (t1 - t0) / 1e9, (t2 - t1) / 1e9);
  }

  /** The μ policy updates of one step on its scored rollouts ({@link PolicyUpdate#apply}). */
  PolicyUpdate.Result update(int step, Qwen2Model policy, Qwen2Model reference, Tape tape,
      AdamW opt, List<Rollout> rollouts, double[] rewards) {
    return new PolicyUpdate(config, padId).apply(step, policy, reference, tape, opt, rollouts,
        rewards);
  }

  /**
   * The questions of 1-based {@code step}: consecutive slices of a reshuffled pass over {@code
   * train} (each pass a permutation seeded by the run seed and the pass number), so every question
   * is used once per pass and a resumed run draws what the uninterrupted one would have.
   */
  List<QaExample> questionsOf(List<QaExample> train, int step) {
    int q = config.questionsPerStep();
    List<QaExample> out = new ArrayList<>(q);
    long from = (long) (step - 1) * q;
    int cachedPass = -1;
    int[] perm = null;
    for (long i = from; i < from + q; i++) {
      int pass = (int) (i / train.size());
      if (pass != cachedPass) {
        perm = permutation(train.size(), config.seed() * 7_919L + pass);
        cachedPass = pass;
      }
      out.add(train.get(perm[(int) (i % train.size())]));
    }
    return out;
  }

  private static int[] permutation(int n, long seed) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) p[i] = i;
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  private Evaluation.Summary evaluate(RolloutEngine engine, RolloutEngine.Config greedy,
      List<QaExample> dev) {
    return Evaluation.summary(Evaluation.run(engine, greedy, template, tok, dev,
        Math.max(1, config.microBatch() * 2), done -> {}));
  }

  private static ObjectNode line(StepStats s) {
    return MetricsLog.line().put("step", s.step()).put("reward", s.reward())
        .put("reward_std", s.rewardStd()).put("f1", s.f1()).put("em", s.exactMatch())
        .put("well_formed", s.wellFormed()).put("searches", s.searches())
        .put("response_tokens", s.responseTokens()).put("trained_tokens", s.trainedTokens())
        .put("flat_groups", s.flatGroups()).put("kl", s.kl()).put("clip_fraction", s.clipFraction())
        .put("loss", s.loss()).put("grad_norm", s.gradNorm()).put("lr", s.lr())
        .put("rollout_s", s.rolloutSeconds()).put("update_s", s.updateSeconds());
  }

  private static ObjectNode evalLine(ObjectNode line, Evaluation.Summary e) {
    return line.put("eval_em", e.exactMatch()).put("eval_f1", e.f1()).put("eval_reward", e.reward())
        .put("eval_well_formed", e.wellFormed()).put("eval_searches", e.searches())
        .put("eval_response_tokens", e.responseTokens());
  }
}
