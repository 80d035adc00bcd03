package org.research4j.benchmarks.search;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.util.IOUtils;
import org.research4j.search.flashrag.OnMalformed;
import org.research4j.search.flashrag.QaExample;
import org.research4j.search.flashrag.QaFormat;
import org.research4j.search.index.BuildListener;
import org.research4j.search.index.Index;
import org.research4j.search.index.IndexOptions;
import org.research4j.search.world.WorldConfig;
import org.research4j.search.world.WorldGenerator;

/**
 * A generated world with its index, as the search benchmarks use it: an existing directory, or the
 * default world (seed 42) generated into a temporary one. The index is built in {@code WORLD/index}
 * when missing.
 */
final class BenchmarkWorld {
  final Path dir;
  final Path index;

  /** Whether {@link #open} generated the world, so that {@link #discard} may delete it. */
  private final boolean temporary;

  private BenchmarkWorld(Path dir, boolean temporary) {
    this.dir = dir;
    this.index = dir.resolve("index");
    this.temporary = temporary;
  }

  /** {@code path} empty: the default world in a temporary directory. */
  static BenchmarkWorld open(String path) throws IOException {
    Path dir;
    if (path == null || path.isBlank()) {
      dir = Files.createTempDirectory("research4j-world-");
      WorldGenerator.generate(WorldConfig.defaults(), dir, n -> {});
    } else {
      dir = Path.of(path);
    }
    BenchmarkWorld w = new BenchmarkWorld(dir, path == null || path.isBlank());
    if (!Files.isDirectory(w.index)) {
      Index.build(
          dir.resolve(WorldGenerator.CORPUS), w.index, IndexOptions.defaults(), BuildListener.NONE);
    }
    return w;
  }

  /** Deletes a world this class generated; leaves a given one alone. */
  void discard() throws IOException {
    if (temporary) {
      IOUtils.rm(dir);
    }
  }

  /** The questions of every split, test first: the queries an agent would start from. */
  List<String> questions() throws IOException {
    List<String> out = new ArrayList<>();
    for (String split : List.of("test", "dev", "train")) {
      Path file = dir.resolve(split + ".jsonl");
      if (Files.exists(file)) {
        for (QaExample qa : QaFormat.readAll(file, OnMalformed.FAIL)) {
          out.add(qa.question());
        }
      }
    }
    if (out.isEmpty()) {
      throw new IOException(dir + " has no train/dev/test.jsonl to take queries from");
    }
    return out;
  }
}
