package org.research4j.search.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The commands end to end on a small world: world, index, query, recall, chunk, and errors. */
class SearchMainTest {
  @TempDir Path tmp;

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new SearchMain());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = SearchMain.execute(cl, args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void worldIndexQueryAndRecallRunEndToEnd() throws Exception {
    Path world = tmp.resolve("w");
    Run w =
        run(
            "world",
            "--out",
            world.toString(),
            "--scale",
            "0.2",
            "--train",
            "50",
            "--dev",
            "10",
            "--test",
            "20");
    assertEquals(0, w.code(), w.err());
    assertTrue(w.out().startsWith("wrote "), w.out());
    Run i =
        run(
            "index",
            "--corpus",
            world.resolve("corpus.jsonl").toString(),
            "--index",
            world.resolve("index").toString(),
            "--threads",
            "2");
    assertEquals(0, i.code(), i.err());
    String firstLine = Files.readAllLines(world.resolve("corpus.jsonl")).getFirst();
    String title = firstLine.substring(firstLine.indexOf("\\\"") + 2, firstLine.indexOf("\\\"\\n"));
    Run q =
        run("query", "--index", world.resolve("index").toString(), "-k", "2", "--scores", title);
    assertEquals(0, q.code(), q.err());
    assertTrue(q.out().contains("Doc 1(Title: " + title + ")"), q.out());
    Run r =
        run(
            "recall",
            "--index",
            world.resolve("index").toString(),
            "--qa",
            world.resolve("test.jsonl").toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("| all | 20 |"), r.out());
    Run again =
        run(
            "index",
            "--corpus",
            world.resolve("corpus.jsonl").toString(),
            "--index",
            world.resolve("index").toString());
    assertEquals(1, again.code());
    assertTrue(
        again.err().startsWith("error: ") && again.err().contains("--overwrite"), again.err());
  }

  @Test
  void chunkConvertsAndErrorsAreOneLine() throws Exception {
    Path docs =
        Files.writeString(tmp.resolve("doc.txt"), "My Title\nOne sentence. Two sentence.\n");
    Run c = run("chunk", "--input", docs.toString(), "--out", tmp.resolve("c.jsonl").toString());
    assertEquals(0, c.code(), c.err());
    assertEquals(
        "{\"id\":\"0\",\"contents\":\"\\\"My Title\\\"\\nOne sentence. Two sentence.\"}",
        Files.readAllLines(tmp.resolve("c.jsonl")).getFirst());
    Run missing = run("query", "--index", tmp.resolve("nope").toString(), "x");
    assertEquals(1, missing.code());
    assertTrue(
        missing.err().startsWith("error: ") && missing.err().contains("no index here"),
        missing.err());
    assertEquals(1, missing.err().strip().lines().count(), "one sentence, no stack trace");
  }
}
