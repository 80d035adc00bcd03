package org.research4j.grpo.sft;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.research4j.grpo.run.MetricsLog;
import org.research4j.grpo.run.TrainingListener;
import org.research4j.grpo.run.TrainingRun;
import org.research4j.kernels.Kernels;
import org.research4j.tensor.AdamW;
import org.research4j.tensor.GradClip;
import org.research4j.tensor.Tape;
import org.research4j.tensor.Tensor;
import org.research4j.transformer.checkpoint.CheckpointWriter;
import org.research4j.transformer.model.Qwen2Model;

/**
 * Next-token training with a loss mask: AdamW, warm-up and cosine schedule, global-norm clipping, a
 * metrics line per step, resumable checkpoints (the {@link TrainingRun} skeleton), progress and
 * notes to a {@link TrainingListener}. A run directory that already holds a checkpoint continues
 * from it, with the same batches it would have drawn uninterrupted (batch {@code s} is drawn from a
 * generator seeded by {@code (seed, s)}).
 */
public final class SftTrainer {
  private final Kernels kernels;
  private final SftConfig config;
  private final Path runDir;
  private final CheckpointWriter.Options modelOptions;
  private final int padId;
  private final TrainingListener listener;
  private final CopyProbe copyProbe;
  private final int copyEvery;

  /**
   * What a finished run reports. {@code copyBefore} and {@code copyAfter} are the {@link CopyProbe}
   * score at the start of this session and at the end, NaN without a probe.
   */
  public record Result(
      Qwen2Model model,
      int resumedFrom,
      double firstLoss,
      double lastLoss,
      double devLossBefore,
      double devLossAfter,
      double copyBefore,
      double copyAfter) {}

  public SftTrainer(
      Kernels kernels,
      SftConfig config,
      Path runDir,
      CheckpointWriter.Options modelOptions,
      int padId,
      TrainingListener listener) {
    this(kernels, config, runDir, modelOptions, padId, listener, null, 0);
  }

  private SftTrainer(
      Kernels kernels,
      SftConfig config,
      Path runDir,
      CheckpointWriter.Options modelOptions,
      int padId,
      TrainingListener listener,
      CopyProbe copyProbe,
      int copyEvery) {
    this.kernels = kernels;
    this.config = config;
    this.runDir = runDir;
    this.modelOptions = modelOptions;
    this.padId = padId;
    this.listener = listener;
    this.copyProbe = copyProbe;
    this.copyEvery = copyEvery;
  }

  /**
   * This trainer, also scoring {@code probe} (the copy score, which shows the induction-head phase
   * change): before the first step (a {@code step 0} line of {@code metrics.jsonl} in a fresh run),
   * as {@code copy_acc} on the metrics line of every {@code every}-th step, or of every step that
   * evaluates the dev loss when {@code every} is 0, and at the end ({@link Result#copyAfter}). The
   * probe only reads the model (a forward pass recording nothing on the tape): training takes the
   * same steps with it or without.
   */
  public SftTrainer withCopyProbe(CopyProbe probe, int every) {
    if (every < 0) throw new IllegalArgumentException("SftTrainer: copy probe every " + every);
    return new SftTrainer(kernels, config, runDir, modelOptions, padId, listener, probe, every);
  }

  /**
   * Trains a model on {@code train}, reporting the loss on {@code dev}. {@code fresh} makes the
   * initial model when the run directory has no checkpoint yet.
   */
  public Result run(Supplier<Qwen2Model> fresh, List<SftExample> train, List<SftExample> dev)
      throws IOException {
    return runUntil(config.steps(), fresh, train, dev);
  }

  /**
   * Like {@link #run} but stops after step {@code lastStep} (saving a checkpoint there), with the
   * schedule still that of the whole run: for time-boxed sessions, which a later {@link #run}
   * continues exactly.
   */
  public Result runUntil(
      int lastStep, Supplier<Qwen2Model> fresh, List<SftExample> train, List<SftExample> dev)
      throws IOException {
    if (train.isEmpty()) throw new IllegalArgumentException("no training examples");
    AdamW.Config adam =
        AdamW.Config.of(config.learningRate())
            .withWeightDecay(config.weightDecay())
            .withBetas(config.adamBeta1(), config.adamBeta2());
    TrainingRun run =
        new TrainingRun(
            kernels,
            runDir,
            modelOptions,
            "train",
            config.steps(),
            config.checkpointEvery(),
            listener);
    return run.run(lastStep, fresh, adam, new Steps(train, dev));
  }

  /** The supervised steps inside the {@link TrainingRun} skeleton. */
  private final class Steps implements TrainingRun.Loop<Result> {
    private final List<SftExample> train;
    private final List<SftExample> dev;
    private double devBefore;
    private double copyBefore;
    private double first = Double.NaN;
    private double last = Double.NaN;
    private long t0;
    private long tokens;
    private Batch batch;
    private float lr;
    private double norm;

    Steps(List<SftExample> train, List<SftExample> dev) {
      this.train = train;
      this.dev = dev;
    }

    @Override
    public void begin(TrainingRun.Session run) throws IOException {
      devBefore = devLoss(run.tape(), run.model(), dev);
      copyBefore = copy(run.tape(), run.model());
      if (copyProbe != null && run.start() == 0) {
        ObjectNode m = MetricsLog.line().put("step", 0).put("copy_acc", copyBefore);
        if (!Double.isNaN(devBefore)) m.put("dev_loss", devBefore);
        run.metrics().write(m);
      }
      t0 = System.nanoTime();
    }

    @Override
    public double train(TrainingRun.Session run, int step) {
      Tape tape = run.tape();
      Qwen2Model model = run.model();
      batch = sample(train, step);
      lr = config.learningRateAt(step);
      tape.reset();
      model.parameters().zeroGrad();
      Tensor loss =
          model.loss(
              tape.ops(),
              tape.ints(batch.ids(), batch.batchSize(), batch.seqLen()),
              tape.ints(batch.targets(), batch.batchSize(), batch.seqLen()));
      tape.backward(loss);
      norm = GradClip.globalNorm(model.parameters());
      run.optimizer().step(lr, GradClip.coefficient(norm, config.maxGradNorm()));
      double l = loss.item();
      if (step == run.start() + 1) first = l;
      last = l;
      return l;
    }

    @Override
    public ObjectNode metrics(TrainingRun.Session run, int step) {
      tokens += batch.trainedTokens();
      double secs = (System.nanoTime() - t0) / 1e9;
      ObjectNode m =
          MetricsLog.line()
              .put("step", step)
              .put("loss", last)
              .put("lr", lr)
              .put("grad_norm", norm)
              .put("tokens", batch.trainedTokens())
              .put("tokens_per_s", tokens / Math.max(secs, 1e-9));
      if (config.evalEvery() > 0 && step % config.evalEvery() == 0) {
        m.put("dev_loss", devLoss(run.tape(), run.model(), dev));
      }
      if (copyProbe != null
          && (copyEvery > 0
              ? step % copyEvery == 0
              : config.evalEvery() > 0 && step % config.evalEvery() == 0)) {
        m.put("copy_acc", copy(run.tape(), run.model()));
      }
      return m;
    }

    @Override
    public Result end(TrainingRun.Session run) {
      double devAfter = devLoss(run.tape(), run.model(), dev);
      return new Result(
          run.model(),
          run.start(),
          first,
          last,
          devBefore,
          devAfter,
          copyBefore,
          copy(run.tape(), run.model()));
    }
  }

  private Batch sample(List<SftExample> train, int step) {
    SplittableRandom rnd = new SplittableRandom(config.seed() * 1_000_003L + step);
    List<SftExample> picked = new ArrayList<>(config.batchSize());
    for (int i = 0; i < config.batchSize(); i++) picked.add(train.get(rnd.nextInt(train.size())));
    return Batch.of(picked, config.seqLen(), padId);
  }

  /**
   * The copy score, NaN without a probe; as many probe sequences per pass as fit in the tokens of a
   * training batch.
   */
  private double copy(Tape tape, Qwen2Model model) {
    return copyProbe == null
        ? Double.NaN
        : copyProbe.score(
            tape,
            model,
            Math.max(1, config.batchSize() * config.seqLen() / copyProbe.sequenceLength()));
  }

  /** Mean loss over every trained token of {@code dev}, in batches, recording nothing. */
  private double devLoss(Tape tape, Qwen2Model model, List<SftExample> dev) {
    if (dev.isEmpty()) return Double.NaN;
    double sum = 0;
    long count = 0;
    for (int i = 0; i < dev.size(); i += config.batchSize()) {
      Batch b =
          Batch.of(
              dev.subList(i, Math.min(dev.size(), i + config.batchSize())), config.seqLen(), padId);
      if (b.trainedTokens() == 0) continue;
      tape.reset();
      try (var ng = tape.noGrad()) {
        Tensor loss =
            model.loss(
                tape.ops(),
                tape.ints(b.ids(), b.batchSize(), b.seqLen()),
                tape.ints(b.targets(), b.batchSize(), b.seqLen()));
        sum += loss.item() * b.trainedTokens();
        count += b.trainedTokens();
      }
    }
    return count == 0 ? Double.NaN : sum / count;
  }
}
