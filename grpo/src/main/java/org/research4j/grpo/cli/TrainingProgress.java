package org.research4j.grpo.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.util.function.Function;
import me.tongfei.progressbar.ProgressBar;
import org.research4j.grpo.run.TrainingListener;

/**
 * What a command shows of a training run: a {@link StepProgress} bar over the steps, with a short
 * status read from each step's metrics line, and every note of the trainer as a line of the log.
 */
final class TrainingProgress implements TrainingListener {
  private final PrintStream log;
  private final Function<ObjectNode, String> status;
  private ProgressBar bar;

  private TrainingProgress(PrintStream log, Function<ObjectNode, String> status) {
    this.log = log;
    this.status = status;
  }

  /** For a supervised run: the step's loss. */
  static TrainingProgress sft(PrintStream log) {
    return new TrainingProgress(log, m -> String.format("loss %.3f", m.path("loss").asDouble()));
  }

  /** For a GRPO run: the step's mean reward, well-formed rate and searches per response. */
  static TrainingProgress grpo(PrintStream log) {
    return new TrainingProgress(
        log,
        m ->
            String.format(
                "reward %.3f  format %.0f%%  searches %.2f",
                m.path("reward").asDouble(),
                100 * m.path("well_formed").asDouble(),
                m.path("searches").asDouble()));
  }

  @Override
  public void started(String task, int steps, int start) {
    bar = StepProgress.of(task, steps, start);
  }

  @Override
  public void step(int step, ObjectNode metrics) {
    bar.stepTo(step);
    bar.setExtraMessage(status.apply(metrics));
  }

  @Override
  public void finished() {
    if (bar != null) bar.close();
    bar = null;
  }

  @Override
  public void note(String line) {
    log.println(line);
  }
}
