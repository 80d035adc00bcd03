package org.research4j.grpo.cli.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler.LegendLayout;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.research4j.grpo.report.MetricSeries;

/**
 * One metric against step as a PNG: raw values, and over them the moving average where there is
 * one.
 */
final class MetricChart {
  static final int WIDTH = 800;
  static final int HEIGHT = 400;

  /** Raw values of a noisy series: visible, but behind the average that carries the trend. */
  private static final Color RAW_UNDER_AVERAGE = new Color(150, 180, 225);

  private static final Color LINE = new Color(25, 75, 160);
  private static final Color AVERAGE = new Color(200, 60, 30);

  static {
    // Charts are drawn into an image, never shown; on a server without a display AWT must not
    // look for one. Set only when the user has not chosen, and before AWT first initialises.
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  private MetricChart() {}

  /** An empty chart in the report's style: white, anti-aliased, the legend below the plot. */
  static XYChart chart(String title, String xTitle, String yTitle) {
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title(title)
            .xAxisTitle(xTitle)
            .yAxisTitle(yTitle)
            .build();
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    // Below the plot: inside, it would cover the end of a rising curve or the start of a falling
    // one.
    chart.getStyler().setLegendPosition(LegendPosition.OutsideS);
    chart.getStyler().setLegendLayout(LegendLayout.Horizontal);
    chart.getStyler().setAntiAlias(true);
    return chart;
  }

  /**
   * @param sparse draw each value as a marker joined by lines (evaluations every N steps)
   * @param window the moving average's window drawn over the values, 0 for none
   * @param firstStep the left end of the step axis, the same for every chart of a run so that they
   *     line up
   * @param lastStep the right end
   */
  static byte[] png(MetricSeries s, boolean sparse, int window, double firstStep, double lastStep)
      throws IOException {
    XYChart chart = chart(s.key(), "step", s.key());
    chart.getStyler().setLegendVisible(window > 0);
    if (lastStep > firstStep) {
      chart.getStyler().setXAxisMin(firstStep);
      chart.getStyler().setXAxisMax(lastStep);
    }
    chart.getStyler().setXAxisDecimalPattern("#,##0");

    XYSeries raw = chart.addSeries(s.key(), s.steps(), s.values());
    raw.setMarker(sparse ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
    raw.setLineColor(window > 0 ? RAW_UNDER_AVERAGE : LINE);
    raw.setMarkerColor(LINE);
    raw.setLineStyle(new BasicStroke(window > 0 ? 1f : 1.5f));
    if (window > 0) {
      XYSeries avg =
          chart.addSeries("moving average (" + window + ")", s.steps(), s.movingAverage(window));
      avg.setMarker(SeriesMarkers.NONE);
      avg.setLineColor(AVERAGE);
      avg.setLineStyle(new BasicStroke(2f));
    }
    return BitmapEncoder.getBitmapBytes(chart, BitmapFormat.PNG);
  }
}
