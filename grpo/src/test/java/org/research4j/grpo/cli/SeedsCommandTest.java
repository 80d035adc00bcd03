package org.research4j.grpo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.research4j.grpo.eval.Evaluation;
import org.research4j.grpo.report.DemoSummary;
import org.research4j.search.cli.SearchMain;
import picocli.CommandLine;

/**
 * {@code research seeds} on finished seed directories (the demo itself is too slow for a unit
 * test): existing summaries are not rerun, the spread is printed and written; bad input is named.
 */
class SeedsCommandTest {

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new ResearchCli());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return new Run(SearchMain.execute(cl, args), out.toString(), err.toString());
  }

  private static void summary(Path out, long seed, double f1) throws IOException {
    DemoSummary.begin(seed, "--seed", Long.toString(seed))
        .stage(DemoSummary.TOTAL, 10)
        .method(
            "ReSearch, GRPO",
            new Evaluation.Summary(4, f1 / 2, f1, 0, 1, 2, 100, 50),
            Map.of("bridge", new Evaluation.Summary(4, f1 / 2, f1, 0, 1, 2, 100, 50)),
            Map.of())
        .write(SeedsCommand.runDir(out, seed).resolve(DemoSummary.FILE));
  }

  @Test
  void aggregatesFinishedSeedsWithoutRunningThemAgain(@TempDir Path dir) throws IOException {
    Path out = dir.resolve("seeds");
    summary(out, 42, 0.2);
    summary(out, 43, 0.4);
    Run r = run("seeds", "--seeds", "42,43", "--out", out.toString(), "--", "--grpo-steps", "20");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("seed 42: ") && r.err().contains("not run again"), r.err());
    assertTrue(r.out().contains("ReSearch, GRPO"), r.out());
    assertTrue(r.out().contains("0.300 ± 0.141 [0.200..0.400]"), r.out());
    JsonNode json = new ObjectMapper().readTree(out.resolve(SeedsCommand.JSON).toFile());
    assertEquals(2, json.at("/methods/ReSearch, GRPO/seeds").asInt());
    assertEquals(0.3, json.at("/methods/ReSearch, GRPO/f1/mean").asDouble(), 1e-12);
    assertEquals(Math.sqrt(0.02), json.at("/methods/ReSearch, GRPO/f1/sd").asDouble(), 1e-12);
    assertEquals(0.3, json.at("/methods/ReSearch, GRPO/f1_by_type/bridge/mean").asDouble(), 1e-12);
    assertEquals(42, json.at("/seeds/0").asInt());
  }

  @Test
  void namesABadSummaryAndRefusesOptionsItSetsItself(@TempDir Path dir) throws IOException {
    Path out = dir.resolve("seeds");
    summary(out, 42, 0.2);
    Path bad = SeedsCommand.runDir(out, 43).resolve(DemoSummary.FILE);
    Files.createDirectories(bad.getParent());
    Files.writeString(
        bad, "{\"seed\": 43, \"command\": [], \"wall_seconds\": {}, \"methods\": {\"X\": {}}}");
    Run r = run("seeds", "--seeds", "42,43", "--out", out.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains(bad + ": methods.X.n is missing"), r.err());
    assertFalse(Files.exists(out.resolve(SeedsCommand.JSON)));

    Path other = SeedsCommand.runDir(out, 44).resolve(DemoSummary.FILE);
    summary(out, 7, 0.1);
    Files.createDirectories(other.getParent());
    Files.move(SeedsCommand.runDir(out, 7).resolve(DemoSummary.FILE), other);
    r = run("seeds", "--seeds", "44", "--out", out.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains(other + ": seed 7, expected 44"), r.err());

    r = run("seeds", "--out", out.toString(), "--", "--seed", "5");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--seed is set by `research seeds`"), r.err());
    r = run("seeds", "--seeds", "42,42", "--out", out.toString());
    assertEquals(2, r.code());
  }

  @Test
  void stopsWhenADemoRunFails(@TempDir Path dir) {
    Path out = dir.resolve("seeds");
    Run r = run("seeds", "--seeds", "45", "--out", out.toString(), "--", "--no-such-option");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("Unknown option: '--no-such-option'"), r.err());
    assertTrue(r.err().contains("the demo for seed 45 failed (exit code 2)"), r.err());
  }
}
