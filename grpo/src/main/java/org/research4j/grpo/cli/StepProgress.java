package org.research4j.grpo.cli;

import java.time.Duration;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The progress bar of a training run, on standard error. On a terminal it redraws in place every
 * second; when standard error goes to a file or a pipe (a log, CI), redrawing with carriage returns
 * would pile every update onto one endless line, so it writes a plain line every 30 seconds.
 */
final class StepProgress {
  private StepProgress() {}

  /** A bar over steps {@code 1..max} that starts at {@code start} (a resumed run). */
  static ProgressBar of(String task, int max, int start) {
    boolean terminal = System.console() != null;
    return new ProgressBarBuilder()
        .setTaskName(task)
        .setInitialMax(max)
        .startsFrom(start, Duration.ZERO)
        .setStyle(ProgressBarStyle.ASCII)
        .setConsumer(
            terminal
                ? new ConsoleProgressBarConsumer(System.err)
                : new DelegatingProgressBarConsumer(System.err::println, 100))
        .setUpdateIntervalMillis(terminal ? 1000 : 30_000)
        .build();
  }
}
