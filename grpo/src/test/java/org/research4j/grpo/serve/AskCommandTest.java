package org.research4j.grpo.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.research4j.grpo.cli.ResearchCli;
import org.research4j.search.cli.SearchMain;
import org.research4j.search.index.BuildListener;
import org.research4j.search.index.Index;
import org.research4j.search.index.IndexOptions;
import picocli.CommandLine;

/**
 * {@code research ask} on the model taught one trace, with a real index holding the passage it was
 * taught to read: the turns printed in order, the passage shortened, the answer and searches summed
 * up; and the demo defaults named when there is no demo run.
 */
class AskCommandTest {

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new ResearchCli());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return new Run(SearchMain.execute(cl, args), out.toString(), err.toString());
  }

  @Test
  void printsEachTurnThenTheAnswerAndSearches(@TempDir Path dir) throws Exception {
    ServeFixtures.Loaded m = ServeFixtures.taught();
    Path corpus = dir.resolve("corpus.jsonl");
    Files.writeString(
        corpus,
        "{\"id\": \"0\", \"contents\": \"the capital of Kesto is Varemo\"}\n"
            + "{\"id\": \"1\", \"contents\": \"Oru is a country far away\"}\n");
    Index.build(corpus, dir.resolve("index"), IndexOptions.defaults(), BuildListener.NONE);
    Run r =
        run(
            "ask",
            "--device",
            "cpu",
            "--model",
            m.dir().toString(),
            "--index",
            dir.resolve("index").toString(),
            "--max-tokens",
            "64",
            "--passage-chars",
            "20",
            "What",
            "is",
            "the",
            "capital",
            "of",
            "Kesto?");
    assertEquals(0, r.code(), r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals(
        List.of(
            "think    Kesto",
            "search   Kesto",
            "result   the capital of Kest…",
            "think    Varemo",
            "answer   \\boxed{ Varemo}",
            "",
            "answer: Varemo"),
        lines.subList(0, 7));
    assertTrue(lines.get(7).startsWith("searches: 1: Kesto ("), lines.get(7));

    Run none = run("ask", "--run", dir.resolve("nothing").toString(), "Who?");
    assertEquals(2, none.code());
    assertTrue(
        none.err().contains("no checkpoint under " + dir.resolve("nothing").resolve("grpo")),
        none.err());
  }
}
