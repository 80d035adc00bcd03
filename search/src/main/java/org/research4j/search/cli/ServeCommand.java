package org.research4j.search.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.research4j.search.index.Searcher;
import org.research4j.search.index.SearcherOptions;
import org.research4j.search.server.RetrievalServer;
import org.research4j.search.server.ServerOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Serves an index over HTTP: Search-R1's POST /retrieve, ReSearch's POST /search and"
          + " POST /batch_search, and GET /health. Runs until interrupted."
    })
public final class ServeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  private PrintWriter out() {
    return spec.commandLine().getOut();
  }

  @Option(names = "--index", required = true, description = "Index directory.")
  Path index;

  @Option(
      names = "--host",
      defaultValue = "127.0.0.1",
      description = "Address to bind" + " (default: ${DEFAULT-VALUE}, this machine only).")
  String host;

  @Option(
      names = "--port",
      defaultValue = "8000",
      description = "Port (default: ${DEFAULT-VALUE};" + " 0 picks a free one).")
  int port;

  @Option(
      names = "--threads",
      description = "Threads sharing out a batch's queries (default:" + " all processors).")
  Integer threads;

  @Option(
      names = "--cache",
      defaultValue = "10000",
      description =
          "Cached (query, k) results;" + " 0 turns the cache off (default: ${DEFAULT-VALUE}).")
  int cache;

  @Option(names = "--k1", description = "BM25 k1 (default: the index's).")
  Float k1;

  @Option(names = "--b", description = "BM25 b (default: the index's).")
  Float b;

  @Option(
      names = "--max-body",
      defaultValue = "1048576",
      description = "Largest request body in" + " bytes (default: ${DEFAULT-VALUE}).")
  int maxBody;

  @Override
  public Integer call() throws Exception {
    SearcherOptions options = SearcherOptions.defaults().withBm25(k1, b).withCacheEntries(cache);
    if (threads != null) {
      options = options.withThreads(threads);
    }
    Searcher searcher = Searcher.open(index, options);
    RetrievalServer server =
        RetrievalServer.start(
            searcher, ServerOptions.defaults().withAddress(host, port).withMaxBodyBytes(maxBody));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  try {
                    searcher.close();
                  } catch (Exception e) {
                    System.err.println("closing the index: " + e.getMessage());
                  }
                  stopped.countDown();
                }));
    out()
        .printf(
            "serving %d passages from %s on %s (BM25 k1=%s b=%s)%n",
            searcher.size(), index, server.url(), searcher.k1(), searcher.b());
    out().flush();
    stopped.await();
    return 0;
  }
}
