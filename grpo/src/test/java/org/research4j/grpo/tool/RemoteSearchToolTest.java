package org.research4j.grpo.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.research4j.search.index.BuildListener;
import org.research4j.search.index.Index;
import org.research4j.search.index.IndexOptions;
import org.research4j.search.index.Searcher;
import org.research4j.search.server.RetrievalServer;
import org.research4j.search.server.ServerOptions;

/** The tool served by {@code research serve} gives the model the same text as the local index. */
class RemoteSearchToolTest {

  @Test
  void answersAsTheLocalIndexDoes(@TempDir Path dir) throws Exception {
    Path corpus = dir.resolve("corpus.jsonl");
    Files.writeString(
        corpus,
        """
        {"id": "0", "contents": "\\"Kesto\\"\\nKesto is a city in Oru. Varemo founded it."}
        {"id": "1", "contents": "\\"Oru\\"\\nOru is a country. Its capital is Dask."}
        {"id": "2", "contents": "\\"Dask\\"\\nDask lies on a river."}
        """);
    Index.build(corpus, dir.resolve("index"), IndexOptions.defaults(), BuildListener.NONE);
    try (Searcher searcher = Searcher.open(dir.resolve("index"));
        RetrievalServer server =
            RetrievalServer.start(searcher, ServerOptions.defaults().withAddress("127.0.0.1", 0))) {
      List<String> queries = List.of("who founded Kesto", " ", "capital of Oru");
      RemoteSearchTool remote = new RemoteSearchTool(server.url() + "/", 2, Duration.ofSeconds(10));
      List<String> got = remote.call(queries);
      assertEquals(
          new SearchTool(searcher, 2).call(List.of("who founded Kesto", "capital of Oru")),
          List.of(got.get(0), got.get(2)));
      assertTrue(got.get(0).contains("Varemo founded it."), got.get(0));
      assertEquals("\n", got.get(1), "a blank query gets no passages");
    }
    IllegalArgumentException bad =
        assertThrows(
            IllegalArgumentException.class,
            () -> new RemoteSearchTool("localhost:8000", 3, Duration.ofSeconds(1)));
    assertTrue(bad.getMessage().contains("must start with http://"), bad.getMessage());
  }
}
