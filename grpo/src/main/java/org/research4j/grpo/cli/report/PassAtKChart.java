package org.research4j.grpo.cli.report;

import java.awt.BasicStroke;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.research4j.grpo.eval.PassAtK;
import org.research4j.transformer.checkpoint.AtomicFiles;

/**
 * pass@k against k as a PNG, one line per model, as Yue et al. 2025 plot it: k on a log2 axis (1,
 * 2, 4, ..., n evenly spaced), pass@k from 0 to 1 so that curves of different runs compare by eye.
 */
public final class PassAtKChart {
  private PassAtKChart() {}

  /**
   * Writes the chart of {@code curves} (model name to result, in legend order) to {@code png},
   * atomically.
   */
  public static void write(Map<String, PassAtK.Result> curves, Path png) throws IOException {
    AtomicFiles.writeFile(png, png(curves));
  }

  static byte[] png(Map<String, PassAtK.Result> curves) throws IOException {
    if (curves.isEmpty()) throw new IllegalArgumentException("pass@k chart: no curves to draw");
    XYChart chart = MetricChart.chart("pass@k", "k (samples)", "pass@k");
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setYAxisMax(1.0);
    // XChart's own log axis is base 10 (1, 10, 100); plot log2 k and label the whole values as k.
    chart.setCustomXAxisTickLabelsFormatter(
        x -> x == Math.rint(x) && x >= 0 ? String.valueOf(1L << Math.round(x)) : "");
    for (Map.Entry<String, PassAtK.Result> e : curves.entrySet()) {
      Map<Integer, Double> curve = e.getValue().curve();
      double[] log2k = new double[curve.size()];
      double[] pass = new double[curve.size()];
      int i = 0;
      for (Map.Entry<Integer, Double> p : curve.entrySet()) {
        log2k[i] = Math.log(p.getKey()) / Math.log(2);
        pass[i++] = p.getValue();
      }
      XYSeries s = chart.addSeries(e.getKey(), log2k, pass);
      s.setMarker(SeriesMarkers.CIRCLE);
      s.setLineStyle(new BasicStroke(2f));
    }
    return BitmapEncoder.getBitmapBytes(chart, BitmapFormat.PNG);
  }
}
