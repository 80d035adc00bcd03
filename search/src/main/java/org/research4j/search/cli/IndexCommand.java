package org.research4j.search.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.research4j.search.flashrag.OnMalformed;
import org.research4j.search.index.BuildListener;
import org.research4j.search.index.Index;
import org.research4j.search.index.IndexMeta;
import org.research4j.search.index.IndexOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "index",
    mixinStandardHelpOptions = true,
    description = {
      "Builds a Lucene BM25 index of a FlashRAG corpus, atomically: an interrupted build"
          + " leaves nothing that looks like an index."
    })
public final class IndexCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  private PrintWriter out() {
    return spec.commandLine().getOut();
  }

  @Option(
      names = "--corpus",
      required = true,
      description = "FlashRAG corpus, one" + " {\"id\", \"contents\"} object per line.")
  Path corpus;

  @Option(names = "--index", required = true, description = "Index directory to create.")
  Path index;

  @Option(names = "--threads", description = "Indexing threads (default: all processors).")
  Integer threads;

  @Option(
      names = "--k1",
      defaultValue = "0.9",
      description = "BM25 k1 (default: ${DEFAULT-VALUE}).")
  float k1;

  @Option(names = "--b", defaultValue = "0.4", description = "BM25 b (default: ${DEFAULT-VALUE}).")
  float b;

  @Option(
      names = "--no-merge",
      description = "Skip the final merge to one segment: faster to" + " build, slower to search.")
  boolean noMerge;

  @Option(
      names = "--ram-mb",
      defaultValue = "256",
      description = "Indexing buffer in MB" + " (default: ${DEFAULT-VALUE}).")
  double ramMb;

  @Option(
      names = "--skip-malformed",
      description =
          "Skip and count malformed lines and repeated" + " ids instead of stopping at the first.")
  boolean skipMalformed;

  @Option(names = "--overwrite", description = "Replace an existing index.")
  boolean overwrite;

  @Override
  public Integer call() throws Exception {
    IndexOptions defaults = IndexOptions.defaults();
    IndexOptions options =
        new IndexOptions(
            threads == null ? defaults.threads() : threads,
            k1,
            b,
            !noMerge,
            ramMb,
            skipMalformed ? OnMalformed.SKIP : OnMalformed.FAIL,
            overwrite);
    long t0 = System.nanoTime();
    IndexMeta meta;
    long size = Files.isRegularFile(corpus) ? Files.size(corpus) : 0;
    try (ProgressBar bar = Progress.bar("index", size, " MB", 1 << 20)) {
      meta =
          Index.build(
              corpus,
              index,
              options,
              new BuildListener() {
                @Override
                public void read(long bytes, long passages) {
                  bar.stepTo(bytes);
                  bar.setExtraMessage(passages + " passages");
                }

                @Override
                public void merging() {
                  bar.setExtraMessage("merging");
                }
              });
    }
    out()
        .printf(
            "indexed %d passages into %s in %.1f s (BM25 k1=%s b=%s)%n",
            meta.passages(), index, (System.nanoTime() - t0) / 1e9, meta.k1(), meta.b());
    if (meta.skippedLines() > 0) {
      out().printf("skipped %d malformed lines or repeated ids%n", meta.skippedLines());
    }
    return 0;
  }
}
