package org.research4j.search.flashrag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusFormatTest {
  @TempDir Path tmp;

  private static List<Passage> readAll(Path file, OnMalformed policy) throws IOException {
    List<Passage> out = new ArrayList<>();
    try (JsonlReader<Passage> in = CorpusFormat.reader(file, policy)) {
      for (Passage p = in.next(); p != null; p = in.next()) {
        out.add(p);
      }
    }
    return out;
  }

  @Test
  void writtenPassagesReadBackIdentically() throws IOException {
    List<Passage> passages =
        List.of(
            Passage.of("0", "Belmara", "Belmara is a city in Velor. It was founded in 1712."),
            Passage.of(
                "1",
                "Quote \"inside\" title",
                "Text with\ttab, \\ backslash and \u00e9\u4e2d\ud83d\ude00."),
            Passage.of("2", "Multi", "line one\nline two"),
            new Passage("3", "no title line at all"));
    Path file = tmp.resolve("corpus.jsonl");
    try (CorpusWriter out = new CorpusWriter(file)) {
      for (Passage p : passages) {
        out.write(p);
      }
      assertEquals(4, out.written());
    }
    assertEquals(4, Files.readAllLines(file).size(), "one line per passage");
    assertEquals(passages, readAll(file, OnMalformed.FAIL));
    assertEquals(
        "{\"id\":\"0\",\"contents\":\"\\\"Belmara\\\"\\nBelmara is a city in Velor. It was"
            + " founded in 1712.\"}",
        Files.readAllLines(file).get(0),
        "FlashRAG layout, byte for byte");
  }

  @Test
  void titleAndTextAreSplitAtTheFirstLineBreak() {
    Passage p = Passage.of("7", "Karvell Works", "A company.\nSecond line.");
    assertEquals("Karvell Works", p.title());
    assertEquals("A company.\nSecond line.", p.text());
    assertEquals("", new Passage("8", "just text").title());
    assertEquals("just text", new Passage("8", "just text").text());
    assertEquals("Unquoted", new Passage("9", "Unquoted\nbody").title());
  }

  @Test
  void integerIdsAndTitleTextLayoutAreAccepted() throws Exception {
    assertEquals(new Passage("12", "x"), CorpusFormat.parse("{\"id\": 12, \"contents\": \"x\"}"));
    assertEquals(
        Passage.of("a", "T", "body"),
        CorpusFormat.parse(
            "{\"id\": \"a\", \"title\": \"T\", \"text\": \"body\", \"extra\": [1,{}]}"));
  }

  @Test
  void malformedLineStopsTheReadWithFileAndLine() throws IOException {
    Path file = tmp.resolve("bad.jsonl");
    Files.writeString(
        file,
        """
        {"id": "0", "contents": "\\"A\\"\\na"}

        {"id": "1", "contents": 5}
        {"id": "2", "contents": "\\"C\\"\\nc"}
        """);
    MalformedLineException e =
        assertThrows(MalformedLineException.class, () -> readAll(file, OnMalformed.FAIL));
    assertEquals(3, e.line(), "blank line 2 still counts as a line");
    assertEquals(file, e.file());
    assertTrue(
        e.getMessage().startsWith(file + ":3: field \"contents\" must be a string, got a number"),
        e.getMessage());
    assertTrue(e.getMessage().contains("--skip-malformed"), "says what to do: " + e.getMessage());
  }

  @Test
  void skipModeCountsAndReportsEachBadLine() throws IOException {
    Path file = tmp.resolve("mixed.jsonl");
    Files.writeString(
        file,
        String.join(
                "\n",
                "{\"id\": \"0\", \"contents\": \"ok\"}",
                "not json",
                "[1, 2]",
                "{\"contents\": \"no id\"}",
                "{\"id\": \"\", \"contents\": \"empty id\"}",
                "{\"id\": \"5\"}",
                "{\"id\": true, \"contents\": \"x\"}",
                "{\"id\": \"7\", \"contents\": \"x\"} {}",
                "{\"id\": \"8\", \"contents\": \"fine\"}")
            + "\n");
    try (JsonlReader<Passage> in = CorpusFormat.reader(file, OnMalformed.SKIP)) {
      assertEquals("0", in.next().id());
      assertEquals("8", in.next().id());
      assertNull(in.next());
      assertEquals(7, in.skipped());
      List<String> ex = in.skippedExamples();
      assertEquals(5, ex.size(), "keeps the first five examples");
      assertTrue(ex.get(0).startsWith(file + ":2: invalid JSON"), ex.get(0));
      assertTrue(ex.get(1).startsWith(file + ":3: expected a JSON object"), ex.get(1));
      assertTrue(ex.get(2).startsWith(file + ":4: missing field \"id\""), ex.get(2));
      assertTrue(ex.get(3).startsWith(file + ":5: field \"id\" is empty"), ex.get(3));
      assertTrue(ex.get(4).startsWith(file + ":6: missing field \"contents\""), ex.get(4));
    }
  }

  @Test
  void qaLinesRoundTripWithMetadata() throws IOException {
    Map<String, Object> meta = new java.util.LinkedHashMap<>();
    meta.put("type", "two_hop_bridge");
    meta.put("supporting_passages", List.of("4", "17"));
    meta.put("hops", List.of(Map.of("question", "Who founded X?", "answer", "Y", "passage", "4")));
    List<QaExample> qas =
        List.of(
            new QaExample(
                "train-0", "Where was the founder of X born?", List.of("Z", "Z City"), meta),
            new QaExample("train-1", "Q?", List.of(), Map.of()));
    Path file = tmp.resolve("train.jsonl");
    try (QaWriter out = new QaWriter(file)) {
      for (QaExample qa : qas) {
        out.write(qa);
      }
    }
    List<QaExample> back = QaFormat.readAll(file, OnMalformed.FAIL);
    assertEquals(qas, back);
    assertEquals(List.of("4", "17"), back.get(0).supportingPassages());
    assertEquals("two_hop_bridge", back.get(0).type());
    Files.writeString(file, "{\"id\": 1, \"question\": \"q\"}\n");
    MalformedLineException e =
        assertThrows(MalformedLineException.class, () -> QaFormat.readAll(file, OnMalformed.FAIL));
    assertTrue(
        e.getMessage().startsWith(file + ":1: missing array field \"golden_answers\""),
        e.getMessage());
  }
}
