package org.research4j.grpo.run;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;
import org.research4j.kernels.Kernels;
import org.research4j.tensor.AdamW;
import org.research4j.tensor.Tape;
import org.research4j.transformer.checkpoint.CheckpointWriter;
import org.research4j.transformer.model.Qwen2Model;

/**
 * The skeleton every resumable training run shares ({@code SftTrainer}, {@code GrpoTrainer}): find
 * the newest checkpoint of the run directory, load its model or make a fresh one, build the tape
 * and the AdamW optimiser (restoring its moments on resume), open {@code metrics.jsonl} truncated
 * to the checkpoint, run the steps, stop at the first non-finite loss, write each step's metrics
 * line and save a checkpoint every {@code checkpointEvery} steps and at the last step. What a step
 * does is the trainer's {@link Loop}.
 *
 * <p>A fresh run (no checkpoint) drops every line of an old {@code metrics.jsonl}, the step-0 line
 * of a run killed before its first save included; a resumed run keeps the lines up to its step.
 */
public final class TrainingRun {
  /** Checkpoints kept per run directory: the newest and the one before it. */
  public static final int KEEP_CHECKPOINTS = 2;

  private final Kernels kernels;
  private final Path runDir;
  private final CheckpointWriter.Options modelOptions;
  private final String task;
  private final int steps;
  private final int checkpointEvery;
  private final TrainingListener listener;

  /** What a trainer does inside the skeleton, for one session of a run. */
  public interface Loop<R> {
    /**
     * Once the model, tape, optimiser (restored on resume) and metrics log are ready, before the
     * first step of this session: restore the trainer's own state from {@link Session#resumed},
     * build what the steps need, write a {@code step 0} line to a fresh run's log.
     */
    default void begin(Session run) throws IOException {}

    /** Takes step {@code step} (1-based) and returns its training loss, checked to be finite. */
    double train(Session run, int step) throws IOException;

    /** The metrics line of the step {@link #train} just took (it evaluates, where it is due). */
    ObjectNode metrics(Session run, int step) throws IOException;

    /** What the trainer needs to continue, saved in {@code trainer_state.json} with the step. */
    default ObjectNode state() {
      return MetricsLog.line();
    }

    /** After the last step of this session (or at once when none was left): the result. */
    R end(Session run) throws IOException;

    /** Releases what {@link #begin} built; called whether the run ended normally or not. */
    default void close() {}
  }

  /**
   * One session of a run, as the {@link Loop} sees it.
   *
   * @param start the step the run continues from (0 when fresh)
   * @param end the last step this session takes
   * @param resumed the trainer state saved with the checkpoint resumed from; empty when fresh
   */
  public record Session(
      Qwen2Model model,
      Tape tape,
      AdamW optimizer,
      MetricsLog metrics,
      int start,
      int end,
      Optional<ObjectNode> resumed) {}

  /**
   * A run of {@code steps} steps in all under {@code runDir}, saving the model with {@code
   * modelOptions} every {@code checkpointEvery} steps; {@code task} names it to the listener.
   */
  public TrainingRun(
      Kernels kernels,
      Path runDir,
      CheckpointWriter.Options modelOptions,
      String task,
      int steps,
      int checkpointEvery,
      TrainingListener listener) {
    this.kernels = kernels;
    this.runDir = runDir;
    this.modelOptions = modelOptions;
    this.task = task;
    this.steps = steps;
    this.checkpointEvery = checkpointEvery;
    this.listener = listener;
  }

  /**
   * Runs (or continues) the run up to step {@code lastStep} (at most the run's steps). {@code
   * fresh} makes the model when the run directory has no checkpoint yet; {@code adam} configures
   * the optimiser.
   */
  public <R> R run(int lastStep, Supplier<Qwen2Model> fresh, AdamW.Config adam, Loop<R> loop)
      throws IOException {
    int end = Math.min(lastStep, steps);
    Files.createDirectories(runDir);
    RunCheckpoints checkpoints = new RunCheckpoints(runDir, KEEP_CHECKPOINTS);
    Optional<RunCheckpoints.Saved> saved = checkpoints.latest();
    Qwen2Model model =
        saved.isPresent() ? checkpoints.loadModel(kernels, saved.get()) : fresh.get();
    int start = saved.map(RunCheckpoints.Saved::step).orElse(0);
    Optional<ObjectNode> state = Optional.empty();
    if (saved.isPresent()) {
      listener.note(
          String.format("resuming from %s (step %d of %d)", saved.get().dir(), start, steps));
      state = Optional.of(checkpoints.state(saved.get()));
    }
    try (Tape tape = new Tape(kernels);
        AdamW opt = new AdamW(model.parameters(), adam);
        MetricsLog metrics =
            MetricsLog.resumeAt(runDir.resolve("metrics.jsonl"), start == 0 ? -1 : start)) {
      if (saved.isPresent()) checkpoints.restoreOptimizer(saved.get(), opt);
      Session session = new Session(model, tape, opt, metrics, start, end, state);
      loop.begin(session);
      listener.started(task, steps, start);
      try {
        for (int step = start + 1; step <= end; step++) {
          double loss = loop.train(session, step);
          if (!Double.isFinite(loss)) {
            throw new IllegalStateException(
                "loss is "
                    + loss
                    + " at step "
                    + step
                    + "; rerun with RESEARCH4J_DEBUG_NAN=1 to find the op, or lower the learning rate");
          }
          ObjectNode line = loop.metrics(session, step);
          metrics.write(line);
          listener.step(step, line);
          if (step % checkpointEvery == 0 || step == end) {
            checkpoints.save(step, model, modelOptions, opt, loop.state());
          }
        }
      } finally {
        listener.finished();
      }
      return loop.end(session);
    } finally {
      loop.close();
    }
  }
}
