package org.research4j.grpo.cli.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import org.research4j.grpo.report.MetricSeries;
import org.research4j.grpo.report.RunMetrics;
import org.research4j.transformer.checkpoint.AtomicFiles;

/**
 * Writes a run's report: the learning curve of a GRPO run ({@link LearningCurveChart}, first), one
 * PNG chart per changing metric and {@code report.md} with the summary table and the charts (what
 * is charted, in which order, and how: see the package documentation).
 */
public final class RunReport {
  /**
   * What the ReSearch paper reads first (reward, answer quality, search use, length), then training
   * health.
   */
  public static final List<String> PREFERRED_ORDER =
      List.of(
          "reward",
          "f1",
          "em",
          "well_formed",
          "searches",
          "response_tokens",
          "kl",
          "loss",
          "grad_norm",
          "lr");

  public static final String MARKDOWN = "report.md";

  /**
   * What a report wrote: {@code report.md} and the charts, in the report's order ({@code
   * learning.png} first).
   */
  public record Written(Path markdown, List<Path> charts) {}

  private RunReport() {}

  /**
   * Reads {@code runDir/metrics.jsonl} and writes the report into {@code outDir}.
   *
   * @param window the moving-average window for every noisy metric; empty for {@link
   *     MetricSeries#defaultWindow} of each metric's number of points
   */
  public static Written write(Path runDir, Path outDir, OptionalInt window) throws IOException {
    RunMetrics metrics = RunMetrics.read(runDir.resolve(RunMetrics.FILE_NAME));
    List<MetricSeries> charted = new ArrayList<>();
    List<MetricSeries> constant = new ArrayList<>();
    for (MetricSeries s : inReportOrder(metrics.series())) {
      (s.isConstant() ? constant : charted).add(s);
    }

    StringBuilder md = new StringBuilder();
    md.append("# Run report: ")
        .append(runDir.toAbsolutePath().normalize().getFileName())
        .append("\n\n");
    md.append("Run directory: `").append(runDir).append("`  \n");
    md.append(RunMetrics.FILE_NAME)
        .append(": ")
        .append(metrics.lines())
        .append(" lines, ")
        .append(metrics.steps())
        .append(" steps");
    if (metrics.steps() > 0) {
      md.append(" (")
          .append(number(metrics.firstStep()))
          .append(" to ")
          .append(number(metrics.lastStep()))
          .append(')');
    }
    md.append(".\n");
    if (metrics.cutOffLine() > 0) {
      md.append("\nLine ")
          .append(metrics.cutOffLine())
          .append(" is cut off (the run was killed while writing it) and is left out.\n");
    }

    List<Path> charts = new ArrayList<>();
    if (LearningCurveChart.hasCurve(metrics)) {
      Path png = outDir.resolve(LearningCurveChart.FILE_NAME);
      AtomicFiles.writeFile(png, LearningCurveChart.png(metrics));
      charts.add(png);
      md.append("\n![learning curve](").append(LearningCurveChart.FILE_NAME).append(")\n");
    }
    StringBuilder table = new StringBuilder();
    StringBuilder images = new StringBuilder();
    int numbered = 0;
    for (MetricSeries s : charted) {
      boolean sparse = s.isSparse(metrics.steps());
      int w = window.orElse(MetricSeries.defaultWindow(s.size()));
      boolean averaged = !sparse && s.isNoisy();
      MetricSeries.Summary sum = s.summary(w);
      table
          .append("| ")
          .append(s.key())
          .append(" | ")
          .append(s.size())
          .append(" | ")
          .append(number(sum.first()))
          .append(" | ")
          .append(number(sum.last()))
          .append(" | ")
          .append(averaged ? number(sum.lastAverage()) + " (" + w + ")" : "")
          .append(" | ")
          .append(number(sum.min()))
          .append(" (")
          .append(number(sum.minStep()))
          .append(')')
          .append(" | ")
          .append(number(sum.max()))
          .append(" (")
          .append(number(sum.maxStep()))
          .append(')')
          .append(" |\n");

      String name = String.format(Locale.ROOT, "%02d-%s.png", ++numbered, fileSafe(s.key()));
      Path png = outDir.resolve(name);
      AtomicFiles.writeFile(
          png,
          MetricChart.png(s, sparse, averaged ? w : 0, metrics.firstStep(), metrics.lastStep()));
      charts.add(png);
      images
          .append("\n## ")
          .append(s.key())
          .append("\n\n![")
          .append(s.key())
          .append("](")
          .append(name)
          .append(")\n");
    }

    if (!charted.isEmpty()) {
      md.append(
              "\n| metric | points | first | last | last, moving average (window) | min (step) | max (step) |\n")
          .append("|---|---:|---:|---:|---:|---:|---:|\n")
          .append(table)
          .append(
              "\nThe moving average is the mean of the last *window* points, drawn and given for metrics"
                  + " whose step-to-step changes are mostly noise; for those, quote it rather than the last value.\n");
    } else {
      md.append("\nNo metric changes over the run: nothing to chart.\n");
    }
    if (!constant.isEmpty()) {
      md.append("\nConstant, not charted:");
      for (MetricSeries s : constant) {
        md.append(' ')
            .append(s.key())
            .append(" = ")
            .append(s.size() == 0 ? "none finite" : number(s.values()[0]))
            .append(s == constant.getLast() ? ".\n" : ",");
      }
    }
    for (MetricSeries s : metrics.series()) {
      if (s.nonFinite() > 0) {
        md.append("\n**")
            .append(s.key())
            .append("**: ")
            .append(s.nonFinite())
            .append(" non-finite values (NaN or infinite), the first at step ")
            .append(number(s.firstNonFiniteStep()))
            .append("; left out of the chart and the table.\n");
      }
    }
    md.append(images);

    Path markdown = outDir.resolve(MARKDOWN);
    AtomicFiles.writeFile(markdown, md.toString().getBytes(StandardCharsets.UTF_8));
    return new Written(markdown, List.copyOf(charts));
  }

  /** {@link #PREFERRED_ORDER} first, then every other key alphabetically. */
  static List<MetricSeries> inReportOrder(List<MetricSeries> series) {
    // Calls per tool (calls_TOOL) right after searches, the calls of all tools together.
    Comparator<MetricSeries> preferredFirst =
        Comparator.comparingDouble(
            s -> {
              if (s.key().startsWith("calls_")) return PREFERRED_ORDER.indexOf("searches") + 0.5;
              int i = PREFERRED_ORDER.indexOf(s.key());
              return i < 0 ? PREFERRED_ORDER.size() : i;
            });
    return series.stream().sorted(preferredFirst.thenComparing(MetricSeries::key)).toList();
  }

  /** Integers as integers (steps, token counts), everything else to 4 significant digits. */
  static String number(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
    return String.format(Locale.ROOT, "%.4g", v);
  }

  /**
   * A metric key as part of a file name: anything but letters, digits, '-', '_' and '.' becomes
   * '_'.
   */
  private static String fileSafe(String key) {
    return key.replaceAll("[^A-Za-z0-9._-]", "_");
  }
}
