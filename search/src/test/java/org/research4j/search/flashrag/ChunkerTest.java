package org.research4j.search.flashrag;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChunkerTest {
  @TempDir Path tmp;

  @Test
  void packingKeepsEveryWordInOrderUnderTheLimitAndIsGreedy() {
    for (long seed = 1; seed <= 20; seed++) {
      Random rnd = new Random(seed);
      int max = 20 + rnd.nextInt(120);
      List<String> sentences = new ArrayList<>();
      List<String> allWords = new ArrayList<>();
      int n = 1 + rnd.nextInt(60);
      for (int s = 0; s < n; s++) {
        int len = 1 + rnd.nextInt(rnd.nextInt(10) == 0 ? 3 * max : 40);
        StringBuilder sb = new StringBuilder();
        for (int w = 0; w < len; w++) {
          String word = "w" + s + "_" + w;
          allWords.add(word);
          sb.append(w == 0 ? "" : (rnd.nextBoolean() ? " " : "  \n")).append(word);
        }
        sentences.add(sb + ".");
        allWords.set(allWords.size() - 1, allWords.getLast() + ".");
      }
      Chunker chunker = new Chunker(max);
      List<List<String>> groups = chunker.pack(sentences);
      List<String> seen = new ArrayList<>();
      for (int g = 0; g < groups.size(); g++) {
        int words = Chunker.wordCount(String.join(" ", groups.get(g)));
        assertTrue(words <= max, "seed " + seed + ": group " + g + " has " + words + " > " + max);
        if (g + 1 < groups.size()) {
          int next = Chunker.wordCount(groups.get(g + 1).getFirst());
          assertTrue(
              words + next > max,
              "seed " + seed + ": group " + g + " (" + words + ") could have taken " + next);
        }
        for (String piece : groups.get(g)) {
          seen.addAll(List.of(Chunker.words(piece)));
        }
      }
      assertEquals(allWords, seen, "seed " + seed + ": words lost or reordered");
    }
  }

  @Test
  void aLongSentenceIsCutIntoNearEqualWindows() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 250; i++) {
      sb.append("w").append(i).append(' ');
    }
    List<String> passages = new Chunker(100).chunk(sb.toString());
    assertArrayEquals(
        new int[] {83, 83, 84}, passages.stream().mapToInt(Chunker::wordCount).toArray());
  }

  @Test
  void sentencesEndAtStopsButNotAtInitialsOrAbbreviations() {
    assertEquals(
        List.of("Orlen T. Vasko met Dr. Quell in St. Avra.", "Why?", "\"Done!\"", "tail"),
        Chunker.sentences("Orlen T. Vasko met Dr. Quell in St. Avra. Why? \"Done!\" tail"));
  }

  @Test
  void chunkingRefusesANonPositiveLimit() {
    assertThrows(IllegalArgumentException.class, () -> new Chunker(0));
  }

  @Test
  void converterGivesEveryPassageItsDocumentTitle() throws IOException {
    Path docs = tmp.resolve("docs.jsonl");
    StringBuilder longText = new StringBuilder();
    for (int i = 0; i < 30; i++) {
      longText.append("Sentence number ").append(i).append(" has six words. ");
    }
    Files.writeString(
        docs,
        "{\"title\": \"First\", \"text\": \""
            + longText
            + "\"}\n"
            + "{\"title\": \"Second\", \"text\": \"Short one.\"}\n");
    Path corpus = tmp.resolve("corpus.jsonl");
    DocumentConverter.Result r =
        new DocumentConverter(new Chunker(100), OnMalformed.FAIL).convert(docs, corpus);
    assertEquals(2, r.documents());
    List<Passage> out = new ArrayList<>();
    try (JsonlReader<Passage> in = CorpusFormat.reader(corpus, OnMalformed.FAIL)) {
      for (Passage p = in.next(); p != null; p = in.next()) {
        out.add(p);
      }
    }
    // 30 sentences of 6 words: 16 fit in 96 words, so 16 + 14, then the second document.
    assertEquals(3, out.size());
    assertEquals(3, r.passages());
    assertEquals(List.of("0", "1", "2"), out.stream().map(Passage::id).toList());
    assertEquals(List.of("First", "First", "Second"), out.stream().map(Passage::title).toList());
    assertEquals(96, Chunker.wordCount(out.get(0).text()));
    assertEquals(84, Chunker.wordCount(out.get(1).text()));
  }

  @Test
  void converterReportsABadDocumentLine() throws IOException {
    Path docs = tmp.resolve("docs.jsonl");
    Files.writeString(docs, "{\"title\": \"A\", \"text\": \"a.\"}\n{\"title\": \"B\"}\n");
    DocumentConverter failing = new DocumentConverter(new Chunker(100), OnMalformed.FAIL);
    MalformedLineException e =
        assertThrows(
            MalformedLineException.class, () -> failing.convert(docs, tmp.resolve("c.jsonl")));
    assertEquals(2, e.line());
    DocumentConverter.Result r =
        new DocumentConverter(new Chunker(100), OnMalformed.SKIP)
            .convert(docs, tmp.resolve("c2.jsonl"));
    assertEquals(1, r.skipped());
    assertEquals(1, r.passages());
  }
}
