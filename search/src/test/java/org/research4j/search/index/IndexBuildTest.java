package org.research4j.search.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.research4j.search.flashrag.MalformedLineException;
import org.research4j.search.flashrag.OnMalformed;
import org.research4j.search.flashrag.Passage;

class IndexBuildTest {
  @TempDir Path tmp;

  private static List<Passage> passages(int n, String tag) {
    List<Passage> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(
          Passage.of("p" + i, "Title " + i, tag + " passage number w" + i + " about w" + (i % 7)));
    }
    return out;
  }

  private List<String> siblings() throws IOException {
    try (Stream<Path> s = Files.list(tmp)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void aBuildPublishesACompleteIndexAndLeavesNoTemporaryDirectory() throws IOException {
    Path corpus = IndexTestSupport.corpus(tmp.resolve("c.jsonl"), passages(1000, "alpha"));
    IndexMeta meta =
        Index.build(
            corpus, tmp.resolve("idx"), IndexOptions.defaults().withThreads(2), BuildListener.NONE);
    assertEquals(1000, meta.passages());
    assertEquals(List.of("c.jsonl", "idx"), siblings());
    assertTrue(Files.isRegularFile(tmp.resolve("idx/index.json")));
    try (Searcher s = Searcher.open(tmp.resolve("idx"))) {
      assertEquals(1000, s.size());
      assertEquals("p123", s.search("w123", 1).getFirst().id());
      assertEquals(Optional.of(passages(1000, "alpha").get(456)), s.passage("p456"));
      assertEquals(Optional.empty(), s.passage("nope"));
    }
  }

  @Test
  void aDirectoryWithoutTheCommitMarkIsRefused() throws IOException {
    Path corpus = IndexTestSupport.corpus(tmp.resolve("c.jsonl"), passages(10, "alpha"));
    Index.build(corpus, tmp.resolve("idx"), IndexOptions.defaults(), BuildListener.NONE);
    Files.delete(tmp.resolve("idx/index.json"));
    Index.IncompleteIndexException e =
        assertThrows(Index.IncompleteIndexException.class, () -> Searcher.open(tmp.resolve("idx")));
    assertTrue(
        e.getMessage().contains("not a complete index")
            && e.getMessage().contains("index.json")
            && e.getMessage().contains("rebuild"),
        e.getMessage());
    assertThrows(IOException.class, () -> Searcher.open(tmp.resolve("missing")));
  }

  @Test
  void aStaleInterruptedBuildIsRemovedByTheNextBuild() throws IOException {
    Path stale = Files.createDirectories(tmp.resolve(".idx.building-12345/lucene"));
    Files.writeString(stale.resolve("_0.fdt"), "half written");
    Path other = Files.createDirectories(tmp.resolve(".other.building-1"));
    Path corpus = IndexTestSupport.corpus(tmp.resolve("c.jsonl"), passages(10, "alpha"));
    Index.build(corpus, tmp.resolve("idx"), IndexOptions.defaults(), BuildListener.NONE);
    assertFalse(Files.exists(stale.getParent()), "stale build of this target removed");
    assertTrue(Files.exists(other), "another target's build is not ours to remove");
  }

  @Test
  void aBuildThatFailsMidwayLeavesNothingAtTheTarget() throws IOException {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      lines.add("{\"id\": \"" + i + "\", \"contents\": \"text " + i + "\"}");
    }
    lines.set(1500, "{\"id\": \"1500\", \"contents\": ");
    Path corpus = Files.write(tmp.resolve("c.jsonl"), lines);
    MalformedLineException e =
        assertThrows(
            MalformedLineException.class,
            () ->
                Index.build(
                    corpus, tmp.resolve("idx"), IndexOptions.defaults(), BuildListener.NONE));
    assertEquals(1501, e.line());
    assertEquals(List.of("c.jsonl"), siblings(), "no index and no temporary directory left");

    IndexMeta meta =
        Index.build(
            corpus,
            tmp.resolve("idx"),
            IndexOptions.defaults().withOnMalformed(OnMalformed.SKIP),
            BuildListener.NONE);
    assertEquals(1999, meta.passages());
    assertEquals(1, meta.skippedLines());
  }

  @Test
  void repeatedIdsAreMalformedLines() throws IOException {
    List<Passage> ps = new ArrayList<>(passages(5, "alpha"));
    ps.add(Passage.of("p2", "again", "duplicate"));
    Path corpus = IndexTestSupport.corpus(tmp.resolve("c.jsonl"), ps);
    MalformedLineException e =
        assertThrows(
            MalformedLineException.class,
            () ->
                Index.build(
                    corpus, tmp.resolve("idx"), IndexOptions.defaults(), BuildListener.NONE));
    assertEquals(6, e.line());
    assertTrue(
        e.getMessage().contains("repeated passage id \"p2\" (first at line 3)"), e.getMessage());
  }

  @Test
  void anExistingIndexIsReplacedOnlyWhenAskedTo() throws IOException {
    Path first = IndexTestSupport.corpus(tmp.resolve("a.jsonl"), passages(10, "alpha"));
    Path second = IndexTestSupport.corpus(tmp.resolve("b.jsonl"), passages(20, "beta"));
    Index.build(first, tmp.resolve("idx"), IndexOptions.defaults(), BuildListener.NONE);
    assertThrows(
        FileAlreadyExistsException.class,
        () -> Index.build(second, tmp.resolve("idx"), IndexOptions.defaults(), BuildListener.NONE));
    Index.build(
        second,
        tmp.resolve("idx"),
        IndexOptions.defaults().withOverwrite(true),
        BuildListener.NONE);
    try (Searcher s = Searcher.open(tmp.resolve("idx"))) {
      assertEquals(20, s.size());
      assertTrue(s.search("beta", 1).getFirst().contents().contains("beta"));
    }
    assertEquals(List.of("a.jsonl", "b.jsonl", "idx"), siblings(), "old index removed");
  }

  @Test
  void unmergedMultiSegmentIndexesMapDocIdsToTheRightPassages() throws IOException {
    Path corpus = IndexTestSupport.corpus(tmp.resolve("c.jsonl"), passages(3000, "gamma"));
    IndexOptions opts = new IndexOptions(3, 0.9f, 0.4f, false, 0.3, OnMalformed.FAIL, false);
    Index.build(corpus, tmp.resolve("idx"), opts, BuildListener.NONE);
    try (Searcher s = Searcher.open(tmp.resolve("idx"))) {
      assertTrue(s.segments() > 1, "the test needs several segments, got " + s.segments());
      for (int i = 0; i < 3000; i += 97) {
        Hit top = s.search("w" + i, 1).getFirst();
        assertEquals("p" + i, top.id());
        assertEquals("Title " + i, top.title());
      }
    }
  }
}
