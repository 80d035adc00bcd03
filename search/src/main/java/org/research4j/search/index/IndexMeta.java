package org.research4j.search.index;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.research4j.search.flashrag.Json;

/**
 * The contents of {@code index.json}: what an index holds and how to score it. Its presence is the
 * index's commit mark; it is written after everything else has been synced.
 *
 * @param format the layout version, {@link #FORMAT}
 * @param passages the number of passages (Lucene documents, document-store records)
 * @param k1 the BM25 k1 the index was built for
 * @param b the BM25 b the index was built for
 * @param analyzer the analysis chain's {@link PassageAnalyzer#NAME}
 * @param corpus the corpus file it was built from, as given
 * @param skippedLines corpus lines skipped as malformed or as repeated ids
 */
public record IndexMeta(
    String format,
    long passages,
    float k1,
    float b,
    String analyzer,
    String corpus,
    long skippedLines) {

  public static final String FORMAT = "research4j-bm25-1";

  void write(Path file) throws IOException {
    ObjectNode node = Json.MAPPER.createObjectNode();
    node.put("format", format);
    node.put("passages", passages);
    node.put("k1", k1);
    node.put("b", b);
    node.put("analyzer", analyzer);
    node.put("corpus", corpus);
    node.put("skipped_lines", skippedLines);
    Files.writeString(
        file, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n");
  }

  static IndexMeta read(Path file) throws IOException {
    JsonNode node;
    try {
      node = Json.MAPPER.readTree(file.toFile());
    } catch (IOException e) {
      throw new IOException(
          file + " is not readable JSON (" + e.getMessage() + "); the index is damaged: rebuild it",
          e);
    }
    if (node == null || !node.isObject()) {
      throw new IOException(file + " is not a JSON object; the index is damaged: rebuild it");
    }
    String format = node.path("format").asText("");
    if (!FORMAT.equals(format)) {
      throw new IOException(
          file
              + ": index format \""
              + format
              + "\", this version reads \""
              + FORMAT
              + "\"; rebuild the index with this version");
    }
    return new IndexMeta(
        format,
        node.path("passages").asLong(-1),
        (float) node.path("k1").asDouble(IndexOptions.DEFAULT_K1),
        (float) node.path("b").asDouble(IndexOptions.DEFAULT_B),
        node.path("analyzer").asText(""),
        node.path("corpus").asText(""),
        node.path("skipped_lines").asLong(0));
  }
}
