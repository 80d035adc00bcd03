package org.research4j.grpo.serve;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The charts of a run directory that the page at {@code /} links, read afresh at each request so
 * the latest report shows: the PNGs in the directory itself (the demo's {@code learning.png} and
 * {@code pass_at_k.png}), then those in its {@code report/} folder and in each stage's ({@code
 * grpo/report/}, as {@code research report} writes them). Only a file in that listing is served, so
 * no request can reach anything else on the disk.
 */
final class RunCharts {
  /** URL path under which chart {@code name} (a path relative to the run directory) is served. */
  static final String PREFIX = "/charts/";

  private final Path dir;

  RunCharts(Path dir) {
    if (!Files.isDirectory(dir)) throw new IllegalArgumentException("no run directory " + dir);
    this.dir = dir;
  }

  Path dir() {
    return dir;
  }

  /**
   * The charts' paths relative to the run directory, with {@code /}: top level first, then reports.
   */
  List<String> list() {
    List<String> out = new ArrayList<>(pngs(dir, ""));
    out.addAll(pngs(dir.resolve("report"), "report/"));
    try (Stream<Path> stages = Files.list(dir)) {
      for (Path stage : stages.filter(Files::isDirectory).sorted().toList()) {
        String name = stage.getFileName().toString();
        if (!name.equals("report")) out.addAll(pngs(stage.resolve("report"), name + "/report/"));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the run directory " + dir, e);
    }
    return out;
  }

  /** The bytes of chart {@code name}, or null when it is not one of {@link #list()}. */
  byte[] read(String name) throws IOException {
    if (!list().contains(name)) return null;
    return Files.readAllBytes(dir.resolve(name));
  }

  private static List<String> pngs(Path folder, String prefix) {
    if (!Files.isDirectory(folder)) return List.of();
    try (Stream<Path> files = Files.list(folder)) {
      return files
          .filter(Files::isRegularFile)
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".png") && n.matches("[A-Za-z0-9_.-]+"))
          .sorted()
          .map(n -> prefix + n)
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + folder, e);
    }
  }
}
