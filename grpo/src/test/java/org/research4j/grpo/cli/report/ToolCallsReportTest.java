package org.research4j.grpo.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.research4j.grpo.report.MetricSeries;

/**
 * A two-tool run's report: the calls of each tool are charted right after the calls of all tools,
 * and the learning curve is drawn from a log that has them.
 */
class ToolCallsReportTest {

  private static MetricSeries series(String key) {
    return new MetricSeries(key, new double[] {1, 2}, new double[] {0, 1}, 0, Double.NaN);
  }

  @Test
  void callsPerToolComeRightAfterSearches() {
    List<MetricSeries> ordered =
        RunReport.inReportOrder(
            List.of(
                series("kl"),
                series("calls_search"),
                series("response_tokens"),
                series("calls_code"),
                series("searches"),
                series("reward")));
    assertEquals(
        List.of("reward", "searches", "calls_code", "calls_search", "response_tokens", "kl"),
        ordered.stream().map(MetricSeries::key).toList());
  }

  @Test
  void aTwoToolRunGetsItsChartsAndLearningCurve(@TempDir Path dir) throws IOException {
    StringBuilder log = new StringBuilder();
    for (int step = 1; step <= 12; step++) {
      log.append(
          String.format(
              java.util.Locale.ROOT,
              "{\"step\": %d, \"reward\": %.2f, \"f1\": 0.1,"
                  + " \"well_formed\": 0.5, \"searches\": %.2f, \"calls_search\": %.2f, \"calls_code\":"
                  + " %.2f}%n",
              step,
              0.05 * step,
              1.0 + 0.1 * step,
              1.0,
              0.1 * step));
    }
    Files.writeString(dir.resolve("metrics.jsonl"), log);
    RunReport.Written w = RunReport.write(dir, dir, java.util.OptionalInt.empty());
    List<String> names = w.charts().stream().map(p -> p.getFileName().toString()).toList();
    // calls_search, f1 and well_formed are constant here: listed in report.md, not charted.
    assertEquals(
        List.of("learning.png", "01-reward.png", "02-searches.png", "03-calls_code.png"), names);
    assertTrue(Files.size(dir.resolve("learning.png")) > 10_000);
  }
}
