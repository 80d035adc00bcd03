package org.research4j.grpo.cli;

import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import org.research4j.grpo.cli.report.RunReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code research report RUN_DIR}: charts and a summary of a run's metrics (see {@link RunReport}).
 */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Charts every changing metric of RUN_DIR/metrics.jsonl against step (reward, f1, em, well_formed,"
          + " searches, response_tokens, kl, loss, grad_norm, lr first, then the rest alphabetically) and"
          + " writes report.md with a summary table beside the PNGs. Noisy per-step metrics get a trailing"
          + " moving average; a cut-off last line (a killed run) is passed over. A GRPO run also gets"
          + " learning.png (reward, F1, well-formed rate and searches in one image), linked first."
    })
public final class ReportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "RUN_DIR",
      description = "Run directory holding metrics.jsonl.")
  Path runDir;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "Where to write report.md and the charts" + " (default: RUN_DIR/report).")
  Path out;

  @Option(
      names = "--window",
      paramLabel = "N",
      description =
          "Moving-average window in points (default: a"
              + " twentieth of each metric's points, at least 5 and at most 50).")
  Integer window;

  @Override
  public Integer call() throws Exception {
    if (window != null && window < 1) {
      throw new ParameterException(
          spec.commandLine(), "--window must be at least 1, got " + window);
    }
    Path dir = out != null ? out : runDir.resolve("report");
    RunReport.Written w =
        RunReport.write(runDir, dir, window == null ? OptionalInt.empty() : OptionalInt.of(window));
    spec.commandLine()
        .getOut()
        .println("wrote " + w.markdown() + " (" + w.charts().size() + " charts)");
    return 0;
  }
}
