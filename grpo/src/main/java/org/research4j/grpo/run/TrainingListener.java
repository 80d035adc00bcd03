package org.research4j.grpo.run;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;

/**
 * Hears how a training run goes, so that a command line can draw a progress bar and print notes
 * while the trainers stay free of terminal code (as {@code search.index.BuildListener} does for an
 * index build). Called from the training thread only; every method does nothing by default.
 */
public interface TrainingListener {
  /** Hears nothing. */
  TrainingListener NONE = new TrainingListener() {};

  /**
   * The step loop begins: {@code task} names the run ({@code "train"}, {@code "grpo"}), steps
   * {@code start + 1 .. steps} remain ({@code start} is the step a resumed run continues from).
   */
  default void started(String task, int steps, int start) {}

  /** Step {@code step} is done; {@code metrics} is its line of {@code metrics.jsonl}. */
  default void step(int step, ObjectNode metrics) {}

  /** The step loop ended, normally or by an exception. */
  default void finished() {}

  /** A note for the person running: a resumed run, a warning. One line, no line break. */
  default void note(String line) {}

  /** A listener that prints every note as a line of {@code out} and ignores the rest. */
  static TrainingListener printing(PrintStream out) {
    return new TrainingListener() {
      @Override
      public void note(String line) {
        out.println(line);
      }
    };
  }
}
