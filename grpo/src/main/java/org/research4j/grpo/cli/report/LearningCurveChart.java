package org.research4j.grpo.cli.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.research4j.grpo.report.MetricSeries;
import org.research4j.grpo.report.RunMetrics;
import org.research4j.transformer.checkpoint.AtomicFiles;

/**
 * A GRPO run's learning curve in one PNG for a README: four panels (2x2) against the GRPO step,
 * reward, answer F1, well-formed rate and searches per response. Each panel draws the per-step
 * value over the training rollouts (a mean over one batch, so raw and with a trailing moving
 * average over it) and, where the run evaluated on dev, the greedy dev score at the steps it was
 * taken, as markers. A run with more than one tool ({@code calls_TOOL} keys for several tools) also
 * gets, in the last panel, each tool's calls per response over the training rollouts (moving
 * average), so the split between tools can be watched as it is learned.
 */
public final class LearningCurveChart {
  /** One panel's size; the image is two by two of them. */
  static final int PANEL_WIDTH = 600;

  static final int PANEL_HEIGHT = 400;
  static final int WIDTH = 2 * PANEL_WIDTH;
  static final int HEIGHT = 2 * PANEL_HEIGHT;

  /**
   * The moving average's window over the training rollouts; drawn when a series has more points.
   */
  static final int WINDOW = MetricSeries.MIN_WINDOW;

  /** What {@code research report} names the image beside its other charts. */
  public static final String FILE_NAME = "learning.png";

  static final String TRAIN = "train rollouts";
  static final String DEV = "dev (greedy)";

  private static final Color RAW = new Color(150, 180, 225);
  private static final Color AVERAGE = new Color(25, 75, 160);
  private static final Color DEV_COLOR = new Color(200, 60, 30);
  private static final Color[] TOOL_COLORS = {
    new Color(40, 150, 70), new Color(150, 60, 170), new Color(230, 140, 20), new Color(90, 90, 90)
  };

  /**
   * A panel: the training key, its dev evaluation key, and whether the axis is fixed to [0, 1]
   * (reward, F1 and the well-formed rate are all in it, and a fixed axis compares runs by eye).
   */
  record Panel(String title, String yTitle, String trainKey, String devKey, boolean unitRange) {}

  /** In reading order: left to right, then top to bottom. */
  static final List<Panel> PANELS =
      List.of(
          new Panel("reward", "reward", "reward", "eval_reward", true),
          new Panel("answer F1", "F1", "f1", "eval_f1", true),
          new Panel("well-formed rate", "well-formed", "well_formed", "eval_well_formed", true),
          new Panel("searches per response", "searches", "searches", "eval_searches", false));

  private LearningCurveChart() {}

  /**
   * Reads {@code metricsJsonl} (as {@link RunMetrics#read} does: a cut-off last line is passed
   * over, a malformed line elsewhere fails) and writes the learning curve to {@code png},
   * atomically.
   *
   * @throws IOException naming the file when it is missing or no step logs any of the panels' keys
   */
  public static void write(Path metricsJsonl, Path png) throws IOException {
    AtomicFiles.writeFile(png, png(RunMetrics.read(metricsJsonl)));
  }

  /** Whether {@code metrics} has something to draw: a finite value of any panel's key. */
  static boolean hasCurve(RunMetrics metrics) {
    Map<String, MetricSeries> byKey = byKey(metrics);
    for (Panel p : PANELS) {
      if (points(byKey, p.trainKey()) > 0 || points(byKey, p.devKey()) > 0) return true;
    }
    return false;
  }

  static byte[] png(RunMetrics metrics) throws IOException {
    if (!hasCurve(metrics)) {
      throw new IOException(
          metrics.file()
              + ": no step logs reward, f1, well_formed or searches (nor their"
              + " eval_ counterparts) with a finite value; a learning curve needs the metrics.jsonl of a GRPO run");
    }
    Map<String, MetricSeries> byKey = byKey(metrics);
    double first = Double.POSITIVE_INFINITY;
    double last = Double.NEGATIVE_INFINITY;
    for (Panel p : PANELS) {
      for (String key : new String[] {p.trainKey(), p.devKey()}) {
        MetricSeries s = byKey.get(key);
        if (s == null || s.size() == 0) continue;
        first = Math.min(first, s.steps()[0]);
        last = Math.max(last, s.steps()[s.size() - 1]);
      }
    }

    // The charts first: MetricChart sets AWT headless before AWT initialises (the image's graphics
    // would).
    List<XYChart> charts = new ArrayList<>();
    for (Panel p : PANELS) charts.add(panel(p, byKey, first, last));
    BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, WIDTH, HEIGHT);
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      for (int i = 0; i < charts.size(); i++) {
        Graphics2D cell =
            (Graphics2D)
                g.create((i % 2) * PANEL_WIDTH, (i / 2) * PANEL_HEIGHT, PANEL_WIDTH, PANEL_HEIGHT);
        try {
          charts.get(i).paint(cell, PANEL_WIDTH, PANEL_HEIGHT);
        } finally {
          cell.dispose();
        }
      }
    } finally {
      g.dispose();
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    if (!ImageIO.write(image, "png", bytes))
      throw new IOException("no PNG writer in this Java runtime");
    return bytes.toByteArray();
  }

  private static XYChart panel(
      Panel p, Map<String, MetricSeries> byKey, double first, double last) {
    XYChart chart = MetricChart.chart(p.title(), "GRPO step", p.yTitle());
    if (last > first) {
      chart.getStyler().setXAxisMin(first);
      chart.getStyler().setXAxisMax(last);
    }
    chart.getStyler().setXAxisDecimalPattern("#,##0");
    chart.getStyler().setYAxisMin(0.0);
    if (p.unitRange()) chart.getStyler().setYAxisMax(1.0);

    MetricSeries train = byKey.get(p.trainKey());
    MetricSeries dev = byKey.get(p.devKey());
    boolean anything = false;
    if (train != null && train.size() > 0) {
      boolean averaged = train.size() > WINDOW;
      XYSeries raw = chart.addSeries(TRAIN, train.steps(), train.values());
      raw.setMarker(SeriesMarkers.NONE);
      raw.setLineColor(averaged ? RAW : AVERAGE);
      raw.setLineStyle(new BasicStroke(averaged ? 1f : 1.5f));
      if (averaged) {
        XYSeries avg =
            chart.addSeries(
                "moving average (" + WINDOW + ")", train.steps(), train.movingAverage(WINDOW));
        avg.setMarker(SeriesMarkers.NONE);
        avg.setLineColor(AVERAGE);
        avg.setLineStyle(new BasicStroke(2f));
      }
      anything = true;
    }
    if (dev != null && dev.size() > 0) {
      XYSeries d = chart.addSeries(DEV, dev.steps(), dev.values());
      d.setMarker(SeriesMarkers.CIRCLE);
      d.setMarkerColor(DEV_COLOR);
      d.setLineColor(DEV_COLOR);
      d.setLineStyle(new BasicStroke(1.5f));
      anything = true;
    }
    if (p.trainKey().equals("searches")) anything |= perTool(chart, byKey);
    if (!anything) {
      // XChart draws no axes without a series: an invisible one keeps the panel's frame.
      XYSeries none =
          chart.addSeries(p.trainKey() + " not logged", new double[] {first}, new double[] {0});
      none.setMarker(SeriesMarkers.NONE);
      none.setLineColor(Color.WHITE);
    }
    return chart;
  }

  /**
   * Each tool's calls per response ({@code calls_TOOL}) when the run logs more than one tool; true
   * when it drew any.
   */
  private static boolean perTool(XYChart chart, Map<String, MetricSeries> byKey) {
    List<String> keys =
        byKey.keySet().stream()
            .filter(k -> k.startsWith("calls_") && byKey.get(k).size() > 0)
            .sorted()
            .toList();
    if (keys.size() < 2) return false;
    chart.setTitle("tool calls per response (all, and by tool)");
    chart.setYAxisTitle("calls");
    for (int i = 0; i < keys.size(); i++) {
      MetricSeries s = byKey.get(keys.get(i));
      double[] y = s.size() > WINDOW ? s.movingAverage(WINDOW) : s.values();
      XYSeries line = chart.addSeries(keys.get(i).substring("calls_".length()), s.steps(), y);
      line.setMarker(SeriesMarkers.NONE);
      line.setLineColor(TOOL_COLORS[i % TOOL_COLORS.length]);
      line.setLineStyle(new BasicStroke(2f));
    }
    return true;
  }

  private static Map<String, MetricSeries> byKey(RunMetrics metrics) {
    Map<String, MetricSeries> m = new HashMap<>();
    for (MetricSeries s : metrics.series()) m.put(s.key(), s);
    return m;
  }

  private static int points(Map<String, MetricSeries> byKey, String key) {
    MetricSeries s = byKey.get(key);
    return s == null ? 0 : s.size();
  }
}
