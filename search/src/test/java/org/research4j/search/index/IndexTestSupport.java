package org.research4j.search.index;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.research4j.search.flashrag.CorpusWriter;
import org.research4j.search.flashrag.Passage;

/** Writes small corpora for the index tests. */
final class IndexTestSupport {
  private IndexTestSupport() {}

  static Path corpus(Path file, List<Passage> passages) throws IOException {
    try (CorpusWriter out = new CorpusWriter(file)) {
      for (Passage p : passages) {
        out.write(p);
      }
    }
    return file;
  }
}
