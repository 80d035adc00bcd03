package org.research4j.search.flashrag;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The FlashRAG QA line: {@code {"id", "question", "golden_answers": [...], "metadata": {...}}}. */
public final class QaFormat {
  private static final TypeReference<Map<String, Object>> METADATA = new TypeReference<>() {};

  private QaFormat() {}

  public static JsonlReader<QaExample> reader(Path file, OnMalformed onMalformed)
      throws IOException {
    return new JsonlReader<>(file, onMalformed, QaFormat::parse);
  }

  /** Reads a whole QA file; fine for QA sets, which are thousands of lines, not millions. */
  public static List<QaExample> readAll(Path file, OnMalformed onMalformed) throws IOException {
    List<QaExample> all = new ArrayList<>();
    try (JsonlReader<QaExample> in = reader(file, onMalformed)) {
      for (QaExample qa = in.next(); qa != null; qa = in.next()) {
        all.add(qa);
      }
    }
    return all;
  }

  public static QaExample parse(String line) throws JsonlReader.BadLine {
    JsonNode node;
    try {
      node = Json.MAPPER.readTree(line);
    } catch (JsonProcessingException e) {
      throw new JsonlReader.BadLine(
          "invalid JSON: "
              + e.getOriginalMessage()
              + " (column "
              + e.getLocation().getColumnNr()
              + ")");
    }
    if (node == null || !node.isObject()) {
      throw new JsonlReader.BadLine(
          "expected a JSON object {\"id\", \"question\", \"golden_answers\", \"metadata\"}");
    }
    JsonNode id = node.get("id");
    if (id == null || !(id.isTextual() || id.isIntegralNumber())) {
      throw new JsonlReader.BadLine("missing field \"id\" (a string or an integer)");
    }
    JsonNode question = node.get("question");
    if (question == null || !question.isTextual()) {
      throw new JsonlReader.BadLine("missing string field \"question\"");
    }
    JsonNode answers = node.get("golden_answers");
    if (answers == null || !answers.isArray()) {
      throw new JsonlReader.BadLine("missing array field \"golden_answers\"");
    }
    List<String> golden = new ArrayList<>(answers.size());
    for (JsonNode a : answers) {
      if (!a.isValueNode() || a.isNull()) {
        throw new JsonlReader.BadLine(
            "\"golden_answers\" must hold strings, got " + a.getNodeType());
      }
      golden.add(a.asText());
    }
    JsonNode metadata = node.get("metadata");
    Map<String, Object> meta = Map.of();
    if (metadata != null && !metadata.isNull()) {
      if (!metadata.isObject()) {
        throw new JsonlReader.BadLine("field \"metadata\" must be an object");
      }
      meta = Json.MAPPER.convertValue(metadata, METADATA);
    }
    return new QaExample(id.asText(), question.asText(), golden, meta);
  }
}
