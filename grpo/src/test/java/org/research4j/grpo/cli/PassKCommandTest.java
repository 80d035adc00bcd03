package org.research4j.grpo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.research4j.search.cli.SearchMain;
import org.research4j.search.index.BuildListener;
import org.research4j.search.index.Index;
import org.research4j.search.index.IndexOptions;
import picocli.CommandLine;

/**
 * {@code research passk} end to end on files: two named checkpoints, an index and a QA file in; the
 * table, {@code passk.json} and {@code passk.png} out, the same again for the same seed; bad input
 * named.
 */
class PassKCommandTest {

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
  void writesCurvesForEachModelAndNamesBadInput(@TempDir Path dir) throws IOException {
    Path corpus = dir.resolve("corpus.jsonl");
    Files.writeString(
        corpus,
        """
        {"id": "0", "contents": "\\"Kesto\\"\\nKesto is a city in Oru. Varemo founded it."}
        {"id": "1", "contents": "\\"Oru\\"\\nOru is a country. Its capital is Dask."}
        """);
    Index.build(corpus, dir.resolve("index"), IndexOptions.defaults(), BuildListener.NONE);
    Path qa = dir.resolve("test.jsonl");
    Files.writeString(
        qa,
        """
        {"id": "a", "question": "Who founded Kesto?", "golden_answers": ["Varemo"]}
        {"id": "b", "question": "What is the capital of Oru?", "golden_answers": ["Dask"]}
        {"id": "c", "question": "Where is Kesto?", "golden_answers": ["Oru"]}
        """);
    Path model = TinyCheckpoint.write(dir, corpus);
    List<String> args =
        new ArrayList<>(
            List.of(
                "passk",
                "--device",
                "cpu",
                "--model",
                "base=" + model,
                "--model",
                "again=" + model,
                "--index",
                dir.resolve("index").toString(),
                "--questions",
                "2",
                "--max-completion-length",
                "8",
                "--topk",
                "1",
                "--seed",
                "3"));
    Path out = dir.resolve("out");
    Run r = run(cmd(args, "--qa", qa.toString(), "--n", "6", "--out", out.toString()));
    assertEquals(0, r.code(), r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals(List.of("k", "base", "again"), List.of(lines.getFirst().trim().split("\\s+")));
    assertEquals(
        List.of("1", "2", "4", "6"),
        lines.stream().skip(1).map(l -> l.trim().split("\\s+")[0]).toList());

    JsonNode json = new ObjectMapper().readTree(out.resolve(PassKCommand.JSON).toFile());
    assertEquals(6, json.get("n").asInt());
    assertEquals(2, json.get("questions").asInt());
    assertEquals(0.5, json.get("success_f1").asDouble());
    JsonNode base = json.get("models").get(0);
    assertEquals("base", base.get("name").asText());
    assertEquals(List.of("a", "b"), base.get("correct").findValuesAsText("id"));
    assertEquals(
        List.of("1", "2", "4", "6"), List.copyOf(iterable(base.get("pass_at_k").fieldNames())));
    assertEquals(
        base.get("pass_at_k"),
        json.get("models").get(1).get("pass_at_k"),
        "the same checkpoint with the same seed draws the same responses");
    assertTrue(Files.size(out.resolve(PassKCommand.PNG)) > 0);

    assertEquals(
        r.out(),
        run(cmd(args, "--qa", qa.toString(), "--n", "6")).out(),
        "a rerun prints the same table");

    Run zero = run(cmd(args, "--qa", qa.toString(), "--n", "0"));
    assertEquals(2, zero.code());
    assertTrue(zero.err().contains("--n must be >= 1, got 0"), zero.err());
    Run twice =
        run(
            "passk",
            "--model",
            model.toString(),
            "--model",
            model.toString(),
            "--index",
            dir.resolve("index").toString(),
            "--qa",
            qa.toString());
    assertTrue(twice.err().contains("two curves named 'model'"), twice.err());
    Run noQa = run(cmd(args, "--qa", dir.resolve("missing.jsonl").toString()));
    assertTrue(noQa.err().contains("--qa: no file " + dir.resolve("missing.jsonl")), noQa.err());
    Run noModel =
        run(
            "passk",
            "--model",
            "x=" + dir.resolve("nowhere"),
            "--index",
            dir.toString(),
            "--qa",
            qa.toString());
    assertTrue(
        noModel.err().contains("--model x=" + dir.resolve("nowhere") + ": no directory"),
        noModel.err());
  }

  private static <T> List<T> iterable(java.util.Iterator<T> it) {
    List<T> out = new ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }

  private static String[] cmd(List<String> base, String... more) {
    List<String> all = new ArrayList<>(base);
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }
}
