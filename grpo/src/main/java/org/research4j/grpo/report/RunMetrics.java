package org.research4j.grpo.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A run's {@code metrics.jsonl} read back: every numeric key as a {@link MetricSeries}, in the
 * order the keys first appear.
 *
 * @param lines the non-blank lines read (the cut-off one included)
 * @param steps how many distinct steps the lines name (an evaluation may share its step's line or
 *     have its own)
 * @param cutOffLine the 1-based number of a last line cut off by a killed run and passed over, 0
 *     when none
 */
public record RunMetrics(
    Path file,
    int lines,
    int steps,
    double firstStep,
    double lastStep,
    int cutOffLine,
    List<MetricSeries> series) {
  /**
   * The log's name inside a run directory ({@link org.research4j.grpo.run.MetricsLog} writes it).
   */
  public static final String FILE_NAME = "metrics.jsonl";

  /**
   * Trailing tokens fail (two objects run together are not one step); bare NaN/Infinity are read
   * (another writer than Jackson may put them there).
   */
  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .build();

  public RunMetrics {
    series = List.copyOf(series);
  }

  /**
   * Reads {@code file}. A last line that is not JSON is a line cut off by a killed run and is
   * passed over; any other line that is not a JSON object with a numeric {@code step} fails the
   * read with {@code file:line: reason}. Keys with values that are neither numbers nor NaN/Infinity
   * (text, booleans, objects) are not metrics and are left out.
   */
  public static RunMetrics read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(
          file.toString(),
          null,
          "no metrics log; give the directory of a training run (it holds " + FILE_NAME + ")");
    }
    List<String> text = Files.readAllLines(file, StandardCharsets.UTF_8);
    int last = text.size();
    while (last > 0 && text.get(last - 1).isBlank()) last--;

    Map<String, List<double[]>> points = new LinkedHashMap<>();
    Set<Double> steps = new HashSet<>();
    double firstStep = Double.POSITIVE_INFINITY;
    double lastStep = Double.NEGATIVE_INFINITY;
    int lines = 0;
    int cutOff = 0;
    for (int i = 1; i <= last; i++) {
      String line = text.get(i - 1);
      if (line.isBlank()) continue;
      lines++;
      JsonNode node;
      try {
        node = JSON.readTree(line);
      } catch (JsonProcessingException e) {
        if (i == last) {
          cutOff = i;
          break;
        }
        throw malformed(file, i, "not JSON (" + e.getOriginalMessage() + ")");
      }
      if (!node.isObject()) throw malformed(file, i, "not a JSON object but " + node.getNodeType());
      JsonNode stepNode = node.get("step");
      if (stepNode == null || !stepNode.isNumber() || !Double.isFinite(stepNode.doubleValue())) {
        throw malformed(
            file, i, "no numeric \"step\" (every line of a metrics log names its step)");
      }
      double step = stepNode.doubleValue();
      steps.add(step);
      firstStep = Math.min(firstStep, step);
      lastStep = Math.max(lastStep, step);
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        if (field.getKey().equals("step")) continue;
        Double value = metricValue(field.getValue());
        if (value != null) {
          points
              .computeIfAbsent(field.getKey(), k -> new ArrayList<>())
              .add(new double[] {step, value});
        }
      }
    }
    List<MetricSeries> series = new ArrayList<>();
    for (Map.Entry<String, List<double[]>> e : points.entrySet()) {
      series.add(toSeries(e.getKey(), e.getValue()));
    }
    return new RunMetrics(
        file,
        lines,
        steps.size(),
        steps.isEmpty() ? Double.NaN : firstStep,
        steps.isEmpty() ? Double.NaN : lastStep,
        cutOff,
        series);
  }

  /**
   * The number a value holds, null when it is not a metric (text, boolean, object, null). Jackson
   * writes a NaN or infinite double as the string "NaN" or "Infinity", so those strings are
   * numbers.
   */
  private static Double metricValue(JsonNode v) {
    if (v.isNumber()) return v.doubleValue();
    if (!v.isTextual()) return null;
    return switch (v.textValue()) {
      case "NaN" -> Double.NaN;
      case "Infinity" -> Double.POSITIVE_INFINITY;
      case "-Infinity" -> Double.NEGATIVE_INFINITY;
      default -> null;
    };
  }

  /**
   * Orders a key's points by step (stable: file order within a step) and sets the non-finite ones
   * apart.
   */
  private static MetricSeries toSeries(String key, List<double[]> points) {
    points.sort((a, b) -> Double.compare(a[0], b[0]));
    int finite = 0;
    for (double[] p : points) if (Double.isFinite(p[1])) finite++;
    double[] steps = new double[finite];
    double[] values = new double[finite];
    int nonFinite = 0;
    double firstNonFiniteStep = Double.NaN;
    int k = 0;
    for (double[] p : points) {
      if (Double.isFinite(p[1])) {
        steps[k] = p[0];
        values[k++] = p[1];
      } else if (nonFinite++ == 0) {
        firstNonFiniteStep = p[0];
      }
    }
    return new MetricSeries(key, steps, values, nonFinite, firstNonFiniteStep);
  }

  private static IOException malformed(Path file, int line, String reason) {
    return new IOException(
        file
            + ":"
            + line
            + ": "
            + reason
            + "; fix or delete that line (only a cut-off last line, left by a killed run, is passed over)");
  }
}
