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

  /** Opens {@code file} for appending after the lines whose {@code step} is at most {@code step}. */
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
