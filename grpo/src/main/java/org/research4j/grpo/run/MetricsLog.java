package org.research4j.grpo.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code metrics.jsonl}: one JSON object per line, one line per step (and per evaluation). When a
 * run resumes from step {@code s}, lines of later steps (written after that checkpoint, before the
 * run died) are dropped so the log never holds two histories.
 */
public final class MetricsLog implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final BufferedWriter out;

  private MetricsLog(BufferedWriter out) {
    this.out = out;
  }

  /**
   * Opens {@code file} for appending after the lines whose {@code step} is at most {@code step}.
   */
  public static MetricsLog resumeAt(Path file, int step) throws IOException {
    if (Files.exists(file)) {
      List<String> kept = new ArrayList<>();
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (line.isBlank()) continue;
        JsonNode n;
        try {
          n = JSON.readTree(line);
        } catch (IOException e) {
          continue; // a line cut off by the kill
        }
        if (n.path("step").asInt(Integer.MAX_VALUE) <= step) kept.add(line);
      }
      Files.write(file, kept, StandardCharsets.UTF_8);
    }
    return new MetricsLog(
        Files.newBufferedWriter(
            file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND));
  }

  /** Every line of {@code file} as JSON, in order; a line cut off by a kill is skipped. */
  public static List<JsonNode> read(Path file) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (line.isBlank()) continue;
      try {
        out.add(JSON.readTree(line));
      } catch (IOException e) {
        // a line cut off by the kill
      }
    }
    return out;
  }

  /** The sum of {@code key} over the lines of {@code file} that hold it. */
  public static double sum(Path file, String key) throws IOException {
    double s = 0;
    for (JsonNode n : read(file)) if (n.hasNonNull(key)) s += n.get(key).asDouble();
    return s;
  }

  /**
   * The sum of {@code numerator / denominator} over the lines that hold both with a denominator
   * above 0 (for example the seconds of each step, {@code tokens / tokens_per_s}).
   */
  public static double sum(Path file, String numerator, String denominator) throws IOException {
    double s = 0;
    for (JsonNode n : read(file)) {
      if (n.hasNonNull(numerator) && n.path(denominator).asDouble() > 0) {
        s += n.get(numerator).asDouble() / n.get(denominator).asDouble();
      }
    }
    return s;
  }

  /** The value of {@code key} on the last line that holds it; NaN when none does. */
  public static double last(Path file, String key) throws IOException {
    double v = Double.NaN;
    for (JsonNode n : read(file)) if (n.hasNonNull(key)) v = n.get(key).asDouble();
    return v;
  }

  public static ObjectNode line() {
    return JSON.createObjectNode();
  }

  public void write(ObjectNode line) throws IOException {
    out.write(JSON.writeValueAsString(line));
    out.newLine();
    out.flush();
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
