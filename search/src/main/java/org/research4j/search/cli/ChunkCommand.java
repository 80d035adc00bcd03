package org.research4j.search.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.research4j.search.flashrag.Chunker;
import org.research4j.search.flashrag.DocumentConverter;
import org.research4j.search.flashrag.OnMalformed;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "chunk",
    mixinStandardHelpOptions = true,
    description = {
      "Converts plain documents into a FlashRAG corpus of passages of about --words words, each"
          + " carrying its document's title.",
      "Input: a .jsonl file of {\"title\", \"text\"} objects, a text file (first line = title), or"
          + " a directory of .txt/.md files."
    })
public final class ChunkCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  private PrintWriter out() {
    return spec.commandLine().getOut();
  }

  @Option(names = "--input", required = true, description = "Documents to convert.")
  Path input;

  @Option(names = "--out", required = true, description = "Corpus file to write.")
  Path out;

  @Option(
      names = "--words",
      defaultValue = "100",
      description = "Words per passage at most" + " (default: ${DEFAULT-VALUE}).")
  int words;

  @Option(names = "--skip-malformed", description = "Skip and count malformed JSONL lines.")
  boolean skipMalformed;

  @Override
  public Integer call() throws Exception {
    DocumentConverter.Result r =
        new DocumentConverter(
                new Chunker(words), skipMalformed ? OnMalformed.SKIP : OnMalformed.FAIL)
            .convert(input, out);
    out().printf("wrote %d passages from %d documents to %s%n", r.passages(), r.documents(), out);
    if (r.skipped() > 0) {
      out().printf("skipped %d malformed lines, first: %s%n", r.skipped(), r.skippedExamples());
    }
    return 0;
  }
}
