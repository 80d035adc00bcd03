package org.research4j.search.flashrag;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Converts plain documents into a FlashRAG corpus of passages of about a hundred words, each
 * carrying its document's title. Inputs:
 *
 * <ul>
 *   <li>a {@code .jsonl} file of {@code {"title", "text"}} objects (the Wikipedia/DPR layout);
 *   <li>a text file, whose first non-blank line is the title and the rest the body;
 *   <li>a directory, whose {@code .txt} and {@code .md} files are read as text files, in path order
 *       so that passage ids do not depend on the file system.
 * </ul>
 *
 * Passage ids are "0", "1", … in output order, as in FlashRAG's own corpora.
 */
public final class DocumentConverter {

  /** What a conversion read and wrote. */
  public record Result(long documents, long passages, long skipped, List<String> skippedExamples) {}

  private final Chunker chunker;
  private final OnMalformed onMalformed;

  public DocumentConverter(Chunker chunker, OnMalformed onMalformed) {
    this.chunker = chunker;
    this.onMalformed = onMalformed;
  }

  public Result convert(Path input, Path corpus) throws IOException {
    if (!Files.exists(input)) {
      throw new IOException("no such input: " + input);
    }
    try (CorpusWriter out = new CorpusWriter(corpus)) {
      Counts counts = new Counts();
      if (Files.isDirectory(input)) {
        for (Path file : textFiles(input)) {
          convertText(file, out, counts);
        }
      } else if (input.getFileName().toString().endsWith(".jsonl")) {
        convertJsonl(input, out, counts);
      } else {
        convertText(input, out, counts);
      }
      return new Result(counts.documents, out.written(), counts.skipped, counts.examples);
    }
  }

  private static List<Path> textFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files
          .filter(Files::isRegularFile)
          .filter(p -> p.toString().endsWith(".txt") || p.toString().endsWith(".md"))
          .sorted()
          .toList();
    }
  }

  private void convertText(Path file, CorpusWriter out, Counts counts) throws IOException {
    String all = Files.readString(file, StandardCharsets.UTF_8).strip();
    int nl = all.indexOf('\n');
    String title = (nl < 0 ? all : all.substring(0, nl)).strip();
    if (title.startsWith("#")) {
      title = title.replaceFirst("^#+\\s*", "");
    }
    emit(title, nl < 0 ? "" : all.substring(nl + 1), out, counts);
  }

  private void convertJsonl(Path file, CorpusWriter out, Counts counts) throws IOException {
    try (JsonlReader<String[]> in =
        new JsonlReader<>(file, onMalformed, DocumentConverter::parse)) {
      for (String[] doc = in.next(); doc != null; doc = in.next()) {
        emit(doc[0], doc[1], out, counts);
      }
      counts.skipped += in.skipped();
      counts.examples.addAll(in.skippedExamples());
    }
  }

  private void emit(String title, String text, CorpusWriter out, Counts counts) throws IOException {
    counts.documents++;
    for (String passage : chunker.chunk(text)) {
      out.write(Passage.of(Long.toString(out.written()), title, passage));
    }
  }

  private static String[] parse(String line) throws JsonlReader.BadLine {
    JsonNode node;
    try {
      node = Json.MAPPER.readTree(line);
    } catch (JsonProcessingException e) {
      throw new JsonlReader.BadLine("invalid JSON: " + e.getOriginalMessage());
    }
    if (node == null || !node.isObject()) {
      throw new JsonlReader.BadLine("expected a JSON object {\"title\": ..., \"text\": ...}");
    }
    JsonNode title = node.get("title");
    JsonNode text = node.get("text");
    if (title == null || !title.isTextual()) {
      throw new JsonlReader.BadLine("missing string field \"title\"");
    }
    if (text == null || !text.isTextual()) {
      throw new JsonlReader.BadLine("missing string field \"text\"");
    }
    return new String[] {title.asText(), text.asText()};
  }

  private static final class Counts {
    long documents;
    long skipped;
    final List<String> examples = new ArrayList<>();
  }
}
