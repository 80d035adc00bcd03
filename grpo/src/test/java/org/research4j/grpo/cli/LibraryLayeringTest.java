package org.research4j.grpo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Libraries report, applications render (docs/ARCHITECTURE.md, "Modules"): no main source file of
 * kernels, tensor-core, transformer, search or grpo imports picocli, progressbar or XChart unless
 * it is in a {@code cli} package.
 */
class LibraryLayeringTest {
  private static final List<String> TERMINAL =
      List.of("import picocli.", "import me.tongfei.progressbar.", "import org.knowm.xchart.");
  private static final List<String> LIBRARIES =
      List.of("kernels", "tensor-core", "transformer", "search", "grpo");

  @Test
  void terminalCodeLivesOnlyInCliPackages() throws IOException {
    Path root = Path.of("").toAbsolutePath().getParent();
    List<String> offenders = new ArrayList<>();
    int cliFiles = 0;
    for (String module : LIBRARIES) {
      Path src = root.resolve(module).resolve("src/main/java");
      assertTrue(Files.isDirectory(src), src + " is missing: run from the grpo module");
      try (Stream<Path> files = Files.walk(src)) {
        for (Path f :
            (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
          boolean cli =
              src.relativize(f.getParent()).toString().replace('\\', '/').matches(".*/cli(/.*)?");
          List<String> lines = read(f);
          boolean terminal =
              lines.stream().anyMatch(l -> TERMINAL.stream().anyMatch(l::startsWith));
          if (terminal && !cli) offenders.add(root.relativize(f).toString());
          if (terminal && cli) cliFiles++;
        }
      }
    }
    assertEquals(List.of(), offenders, "terminal code outside a cli package");
    assertTrue(cliFiles > 0, "the scan found the cli packages' picocli commands");
  }

  private static List<String> read(Path f) {
    try {
      return Files.readAllLines(f, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
