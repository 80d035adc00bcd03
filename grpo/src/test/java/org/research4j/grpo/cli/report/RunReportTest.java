package org.research4j.grpo.cli.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.research4j.grpo.cli.ReportCommand;
import org.research4j.grpo.report.MetricSeries;
import org.research4j.grpo.report.RunMetrics;
import picocli.CommandLine;

class RunReportTest {
  private static final double TOL = 1e-9;

  /**
   * Six training steps and two evaluation lines (steps 3 and 6), a NaN loss at step 4, a constant
   * key, a text key, and a last line cut off mid-number as a killed run leaves it.
   */
  private static final String LOG =
      """
      {"step":1,"reward":0.3,"loss":2.0,"lr":1e-5,"tokens":3072,"phase":"grpo"}
      {"step":2,"reward":0.1,"loss":1.5,"lr":2e-5,"tokens":3072,"phase":"grpo"}
      {"step":3,"reward":0.5,"loss":1.2,"lr":3e-5,"tokens":3072,"phase":"grpo"}
      {"step":3,"eval_em":0.25}
      {"step":4,"reward":0.2,"loss":"NaN","lr":4e-5,"tokens":3072,"phase":"grpo"}
      {"step":5,"reward":0.6,"loss":1.0,"lr":5e-5,"tokens":3072,"phase":"grpo"}

      {"step":6,"reward":0.4,"loss":0.9,"lr":6e-5,"tokens":3072,"phase":"grpo"}
      {"step":6,"eval_em":0.5}
      {"step":7,"reward":0.""";

  @TempDir Path dir;

  private Path run(String log) throws IOException {
    Files.writeString(dir.resolve("metrics.jsonl"), log);
    return dir;
  }

  private static MetricSeries series(RunMetrics m, String key) {
    return m.series().stream().filter(s -> s.key().equals(key)).findFirst().orElseThrow();
  }

  @Test
  void readsEveryNumericKeyAndPassesOverTheCutOffLastLine() throws IOException {
    RunMetrics m = RunMetrics.read(run(LOG).resolve("metrics.jsonl"));
    assertEquals(10, m.cutOffLine());
    assertEquals(9, m.lines());
    assertEquals(6, m.steps());
    assertEquals(1, m.firstStep());
    assertEquals(6, m.lastStep());
    assertEquals(
        List.of("reward", "loss", "lr", "tokens", "eval_em"),
        m.series().stream().map(MetricSeries::key).toList(),
        "phase is text, not a metric");

    MetricSeries loss = series(m, "loss");
    assertArrayEquals(new double[] {1, 2, 3, 5, 6}, loss.steps());
    assertArrayEquals(new double[] {2.0, 1.5, 1.2, 1.0, 0.9}, loss.values());
    assertEquals(1, loss.nonFinite());
    assertEquals(4, loss.firstNonFiniteStep());

    MetricSeries eval = series(m, "eval_em");
    assertArrayEquals(new double[] {3, 6}, eval.steps());
    assertArrayEquals(new double[] {0.25, 0.5}, eval.values());
    assertTrue(eval.isSparse(m.steps()));
    assertFalse(series(m, "reward").isSparse(m.steps()));
    assertTrue(series(m, "tokens").isConstant());
    assertFalse(series(m, "lr").isConstant());
  }

  @Test
  void summaryMatchesHandComputedValues() throws IOException {
    MetricSeries reward = series(RunMetrics.read(run(LOG).resolve("metrics.jsonl")), "reward");
    // Trailing window of 5, fewer points at the start: 0.3, (0.3+0.1)/2, (0.3+0.1+0.5)/3,
    // (0.3+0.1+0.5+0.2)/4, (0.3+0.1+0.5+0.2+0.6)/5, (0.1+0.5+0.2+0.6+0.4)/5.
    assertArrayEquals(
        new double[] {0.3, 0.2, 0.3, 0.275, 0.34, 0.36}, reward.movingAverage(5), TOL);
    assertArrayEquals(new double[] {0.3, 0.2, 0.3, 0.35, 0.4, 0.5}, reward.movingAverage(2), TOL);
    assertEquals(5, MetricSeries.defaultWindow(reward.size()));
    MetricSeries.Summary s = reward.summary(5);
    assertEquals(0.3, s.first(), TOL);
    assertEquals(0.4, s.last(), TOL);
    assertEquals(0.36, s.lastAverage(), TOL);
    assertEquals(0.1, s.min(), TOL);
    assertEquals(2, s.minStep());
    assertEquals(0.6, s.max(), TOL);
    assertEquals(5, s.maxStep());
    // |first differences| 0.2 0.4 0.3 0.4 0.2 (mean 0.3); |second| 0.6 0.7 0.7 0.6 (mean 0.65 >
    // 0.5*0.3).
    assertTrue(reward.isNoisy());
  }

  @Test
  void noiseTestSeparatesBatchMeansFromSchedules() {
    long seed = 20250601L;
    Random rnd = new Random(seed);
    int n = 200;
    double[] steps = new double[n];
    double[] cosine = new double[n];
    double[] linear = new double[n];
    double[] noisy = new double[n];
    for (int i = 0; i < n; i++) {
      steps[i] = i + 1;
      cosine[i] = 0.5 * (1 + Math.cos(Math.PI * i / (n - 1)));
      linear[i] = 1e-6 * i;
      noisy[i] = 0.002 * i + 0.1 * rnd.nextGaussian();
    }
    assertFalse(new MetricSeries("lr", steps, cosine, 0, Double.NaN).isNoisy());
    assertFalse(new MetricSeries("lr", steps, linear, 0, Double.NaN).isNoisy());
    assertTrue(new MetricSeries("reward", steps, noisy, 0, Double.NaN).isNoisy(), "seed " + seed);
    assertEquals(10, MetricSeries.defaultWindow(n));
    assertEquals(50, MetricSeries.defaultWindow(5000));
    assertEquals(5, MetricSeries.defaultWindow(3));
  }

  @Test
  void writesChartsInReportOrderAndTheMarkdown() throws IOException {
    Path out = dir.resolve("out");
    RunReport.Written w = RunReport.write(run(LOG), out, OptionalInt.empty());

    List<String> names = w.charts().stream().map(p -> p.getFileName().toString()).toList();
    assertEquals(
        List.of("learning.png", "01-reward.png", "02-loss.png", "03-lr.png", "04-eval_em.png"),
        names,
        "the learning curve, then preferred order, then others alphabetically; constant tokens skipped");
    for (Path png : w.charts().subList(1, w.charts().size())) {
      byte[] bytes = Files.readAllBytes(png);
      assertArrayEquals(
          new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(bytes, 4), png.toString());
      BufferedImage img = ImageIO.read(png.toFile());
      assertNotNull(img, png + " is not a readable image");
      assertEquals(MetricChart.WIDTH, img.getWidth());
      assertEquals(MetricChart.HEIGHT, img.getHeight());
    }
    try (Stream<Path> files = Files.list(out)) {
      Set<String> all = files.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
      assertEquals(
          Set.of(
              "report.md",
              "learning.png",
              "01-reward.png",
              "02-loss.png",
              "03-lr.png",
              "04-eval_em.png"),
          all,
          "no temporary files left behind");
    }

    String md = Files.readString(w.markdown());
    assertTrue(md.contains("9 lines, 6 steps (1 to 6)"), md);
    assertTrue(md.contains("Line 10 is cut off"), md);
    assertTrue(
        md.contains("| reward | 6 | 0.3000 | 0.4000 | 0.3600 (5) | 0.1000 (2) | 0.6000 (5) |"), md);
    assertTrue(
        md.contains("| lr | 6 | 1.000e-05 | 6.000e-05 |  | 1.000e-05 (1) | 6.000e-05 (6) |"), md);
    assertTrue(md.contains("| eval_em | 2 | 0.2500 | 0.5000 |  | 0.2500 (3) | 0.5000 (6) |"), md);
    assertTrue(md.contains("Constant, not charted: tokens = 3072."), md);
    assertTrue(
        md.contains("**loss**: 1 non-finite values (NaN or infinite), the first at step 4"), md);
    for (String name : names) assertTrue(md.contains("](" + name + ")"), name);
    assertTrue(
        md.indexOf("](learning.png)") < md.indexOf("| metric |"),
        "the learning curve is linked first: " + md);
    BufferedImage learning = ImageIO.read(w.charts().getFirst().toFile());
    assertEquals(LearningCurveChart.WIDTH, learning.getWidth());
    assertEquals(LearningCurveChart.HEIGHT, learning.getHeight());
    assertFalse(md.contains("tokens.png"), md);
  }

  @Test
  void aLogWithoutGrpoMetricsGetsNoLearningCurve() throws IOException {
    Path out = dir.resolve("out");
    RunReport.Written w =
        RunReport.write(
            run("{\"step\":1,\"loss\":2.0}\n{\"step\":2,\"loss\":1.5}\n"),
            out,
            OptionalInt.empty());
    assertEquals(List.of(out.resolve("01-loss.png")), w.charts());
    assertFalse(Files.exists(out.resolve("learning.png")));
    assertFalse(Files.readString(w.markdown()).contains("learning.png"));
  }

  @Test
  void malformedMiddleLineFailsWithFileAndLine() throws IOException {
    Path file =
        run("{\"step\":1,\"reward\":0.1}\n{\"step\":2,\"reward\":}\n{\"step\":3,\"reward\":0.3}\n")
            .resolve("metrics.jsonl");
    IOException e = assertThrows(IOException.class, () -> RunMetrics.read(file));
    assertTrue(e.getMessage().startsWith(file + ":2: not JSON"), e.getMessage());

    Files.writeString(
        file, "{\"step\":1,\"reward\":0.1}\n{\"reward\":0.2}\n{\"step\":3,\"reward\":0.3}\n");
    e = assertThrows(IOException.class, () -> RunMetrics.read(file));
    assertTrue(e.getMessage().startsWith(file + ":2: no numeric \"step\""), e.getMessage());

    Files.writeString(file, "{\"step\":1,\"reward\":0.1}\n[1,2]\n");
    e = assertThrows(IOException.class, () -> RunMetrics.read(file));
    assertTrue(e.getMessage().startsWith(file + ":2: not a JSON object"), e.getMessage());

    Files.writeString(
        file,
        "{\"step\":1,\"reward\":0.1}{\"step\":2,\"reward\":0.2}\n{\"step\":3,\"reward\":0.3}\n");
    e = assertThrows(IOException.class, () -> RunMetrics.read(file));
    assertTrue(
        e.getMessage().startsWith(file + ":1: not JSON"),
        "two objects on one line: " + e.getMessage());
  }

  @Test
  void cutOffLastLineFollowedByBlankLinesIsPassedOver() throws IOException {
    RunMetrics m =
        RunMetrics.read(
            run("{\"step\":1,\"reward\":0.1}\n{\"step\":2,\"reward\":0.2}\n{\"st\n\n")
                .resolve("metrics.jsonl"));
    assertEquals(3, m.cutOffLine());
    assertEquals(2, m.steps());
    assertArrayEquals(new double[] {0.1, 0.2}, series(m, "reward").values());
  }

  @Test
  void commandWritesIntoRunDirReportAndRejectsABadWindow() throws IOException {
    run(LOG);
    StringWriter out = new StringWriter();
    CommandLine ok = new CommandLine(new ReportCommand()).setOut(new PrintWriter(out));
    assertEquals(0, ok.execute(dir.toString()));
    assertTrue(out.toString().contains("(5 charts)"), out.toString());
    assertTrue(Files.isRegularFile(dir.resolve("report").resolve("report.md")));
    assertTrue(Files.isRegularFile(dir.resolve("report").resolve("01-reward.png")));
    assertTrue(Files.isRegularFile(dir.resolve("report").resolve("learning.png")));
    CommandLine badWindow =
        new CommandLine(new ReportCommand()).setErr(new PrintWriter(new StringWriter()));
    assertEquals(2, badWindow.execute(dir.toString(), "--window", "0"));
    StringWriter err = new StringWriter();
    CommandLine missing = new CommandLine(new ReportCommand()).setErr(new PrintWriter(err));
    assertEquals(1, missing.execute(dir.resolve("missing").toString()));
    assertTrue(
        err.toString().contains("no metrics log; give the directory of a training run"),
        err.toString());
  }
}
