package org.research4j.grpo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.research4j.grpo.report.DemoSummary;
import org.research4j.search.cli.SearchMain;
import org.research4j.search.flashrag.OnMalformed;
import org.research4j.search.flashrag.QaExample;
import org.research4j.search.flashrag.QaFormat;
import picocli.CommandLine;

/**
 * {@code research demo --arithmetic-questions --tools search,code} end to end at toy size: the warm
 * start holds search traces and the code tool's simple cases but no composite arithmetic trace, two
 * GRPO runs start from its checkpoint (search and code; search alone, in its own stage directory),
 * the summary holds both agents with every question type and the calls of each tool, and a second
 * run resumes every stage instead of training again. Tool names the demo cannot use are refused
 * with the option's name before anything runs. The scores are not checked: at this size they are
 * noise.
 */
class DemoToolsCommandTest {

  /**
   * {@link DemoCommandTest#TOY} on more test questions, so that the arithmetic types are among
   * them.
   */
  private static final int EVAL_QUESTIONS = 16;

  private static int run(StringWriter err, Path out, String... extra) {
    List<String> args = new ArrayList<>(List.of("demo", "--out", out.toString()));
    List<String> toy = new ArrayList<>(Arrays.asList(DemoCommandTest.TOY));
    toy.set(toy.indexOf("--eval-questions") + 1, Integer.toString(EVAL_QUESTIONS));
    args.addAll(toy);
    args.addAll(List.of(extra));
    CommandLine cl = new CommandLine(new ResearchCli());
    cl.setErr(new PrintWriter(err, true));
    return SearchMain.execute(cl, args.toArray(String[]::new));
  }

  private static final Pattern COUNTS =
      Pattern.compile(
          "warm start: (\\d+) search traces, (\\d+) code-tool simple cases, (\\d+) composite"
              + " arithmetic traces \\((\\d+) arithmetic training questions left to GRPO\\)");

  @Test
  void searchAndCodeIsComparedWithSearchOnlyFromOneWarmStart(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("demo");
    StringWriter err = new StringWriter();
    assertEquals(
        0, run(err, out, "--arithmetic-questions", "--tools", "search,code"), err.toString());
    DemoSummary.Data s = DemoSummary.read(out.resolve(DemoSummary.FILE));

    // the warm start: search traces and the code tool's simple cases, no composite arithmetic
    List<QaExample> train =
        QaFormat.readAll(out.resolve("world").resolve("train.jsonl"), OnMalformed.FAIL);
    DemoCommand.WarmStartQuestions chosen =
        DemoCommand.warmStartQuestions(train, 3, null, DemoCommand.CodeCases.bare);
    assertFalse(chosen.computations().isEmpty(), "the code tool's simple cases are traced");
    for (QaExample q : chosen.computations()) {
      assertEquals("computation", q.type());
      assertEquals(1, q.hops().size());
      assertTrue(q.hops().getFirst().isComputation(), q.id());
    }
    for (QaExample q : chosen.searched()) {
      assertFalse(DemoCommand.ARITHMETIC_TYPES.contains(q.type()), q.id() + " " + q.type());
      assertTrue(q.hops().stream().noneMatch(QaExample.Hop::isComputation), q.id());
    }
    long arithmetic =
        train.stream().filter(q -> DemoCommand.ARITHMETIC_TYPES.contains(q.type())).count();
    assertTrue(arithmetic > 0, "the world has arithmetic questions");
    assertEquals(arithmetic, chosen.leftToGrpo(), "every arithmetic question is left to GRPO");
    assertEquals(
        DemoCommand.warmStartQuestions(train, 3, null, null).searched(),
        chosen.searched(),
        "the search traces are the same with or without the code tool");
    assertEquals(List.of(), DemoCommand.warmStartQuestions(train, 3, null, null).computations());
    List<QaExample> both =
        DemoCommand.warmStartQuestions(train, 3, null, DemoCommand.CodeCases.both).computations();
    assertEquals(2 * chosen.computations().size(), both.size(), "--code-cases both: two forms");
    assertTrue(
        both.stream().filter(q -> q.id().contains("-f")).allMatch(q -> q.question().endsWith("?")),
        "the facts-given form ends with the question");
    Matcher counts =
        s.notes().stream()
            .map(COUNTS::matcher)
            .filter(Matcher::matches)
            .findFirst()
            .orElseThrow(() -> new AssertionError("no warm-start counts in " + s.notes()));
    assertEquals(chosen.searched().size(), Integer.parseInt(counts.group(1)));
    assertEquals(chosen.computations().size(), Integer.parseInt(counts.group(2)));
    assertEquals(0, Integer.parseInt(counts.group(3)));
    assertEquals(chosen.leftToGrpo(), Integer.parseInt(counts.group(4)));

    // both GRPO agents, every type of the evaluated questions, each tool's calls for every method
    assertEquals(
        List.of(
            "Naive Generation",
            "Naive RAG",
            "Iter-RetGen",
            "IRCoT",
            "Self-Consistency",
            "ReSearch, warm start",
            "ReSearch, more SFT",
            "ReSearch, GRPO",
            DemoCommand.GRPO_SEARCH_ONLY),
        List.copyOf(s.methods().keySet()));
    List<QaExample> test =
        QaFormat.readAll(out.resolve("world").resolve("test.jsonl"), OnMalformed.FAIL);
    Set<String> types = new TreeSet<>();
    for (QaExample q : test.subList(0, EVAL_QUESTIONS)) types.add(q.type());
    assertTrue(
        types.stream().anyMatch(DemoCommand.ARITHMETIC_TYPES::contains),
        "arithmetic types among the evaluated questions: " + types);
    for (String agent : List.of("ReSearch, GRPO", DemoCommand.GRPO_SEARCH_ONLY)) {
      DemoSummary.Method m = s.methods().get(agent);
      assertEquals(EVAL_QUESTIONS, m.all().n());
      assertEquals(types, m.byType().keySet(), agent);
      for (DemoSummary.Scores t : m.byType().values()) {
        assertEquals(Set.of("search", "code"), t.calls().keySet(), agent);
      }
    }
    for (Map.Entry<String, DemoSummary.Method> m : s.methods().entrySet()) {
      Map<String, Double> calls = m.getValue().all().calls();
      assertEquals(List.of("search", "code"), List.copyOf(calls.keySet()), m.getKey());
      assertEquals(
          m.getValue().all().searches(),
          calls.get("search") + calls.get("code"),
          1e-9,
          m.getKey() + ": the tools' calls add up to all calls");
    }
    assertEquals(
        0.0,
        s.methods().get(DemoCommand.GRPO_SEARCH_ONLY).all().calls().get("code"),
        "the search-only agent cannot call code");
    assertTrue(
        s.notes().stream()
            .anyMatch(n -> n.startsWith("search+code vs search only after GRPO: arithmetic types")),
        "the target line is noted: " + s.notes());
    assertTrue(s.wallSeconds().get(DemoSummary.GRPO_SEARCH_ONLY) >= 0, "its stage is timed");

    // each GRPO run logs its own tools' calls per step, and draws its learning curve
    String grpo = Files.readString(out.resolve("grpo/metrics.jsonl"));
    String searchOnly =
        Files.readString(out.resolve(DemoCommand.GRPO_SEARCH_ONLY_DIR).resolve("metrics.jsonl"));
    assertTrue(grpo.contains("\"calls_search\"") && grpo.contains("\"calls_code\""), grpo);
    assertTrue(searchOnly.contains("\"calls_search\""), searchOnly);
    assertFalse(searchOnly.contains("\"calls_code\""), searchOnly);
    assertTrue(Files.size(out.resolve("learning.png")) > 1000);
    assertTrue(Files.size(out.resolve(DemoCommand.SEARCH_ONLY_CHART)) > 1000);

    // a second run resumes every stage
    String sft = Files.readString(out.resolve("sft/metrics.jsonl"));
    String control = Files.readString(out.resolve("sft-control/metrics.jsonl"));
    StringWriter again = new StringWriter();
    assertEquals(
        0, run(again, out, "--arithmetic-questions", "--tools", "search,code"), again.toString());
    assertEquals(sft, Files.readString(out.resolve("sft/metrics.jsonl")), "warm start");
    assertEquals(grpo, Files.readString(out.resolve("grpo/metrics.jsonl")), "GRPO, search+code");
    assertEquals(
        searchOnly,
        Files.readString(out.resolve(DemoCommand.GRPO_SEARCH_ONLY_DIR).resolve("metrics.jsonl")),
        "GRPO, search only");
    assertEquals(control, Files.readString(out.resolve("sft-control/metrics.jsonl")), "control");

    // the world it holds has arithmetic questions: a run without the option is refused
    StringWriter without = new StringWriter();
    assertNotEquals(0, run(without, out));
    assertTrue(
        without.toString().contains("--arithmetic-questions: " + out.resolve("world")),
        without.toString());
  }

  @Test
  void toolsTheDemoCannotUseAreRefusedByTheOption(@TempDir Path dir) {
    Path out = dir.resolve("demo");
    StringWriter err = new StringWriter();
    assertNotEquals(0, run(err, out, "--arithmetic-questions", "--tools", "search,calculator"));
    assertTrue(
        err.toString().contains("--tools: unknown tool 'calculator'; known: search, code"),
        err.toString());

    StringWriter noSearch = new StringWriter();
    assertNotEquals(0, run(noSearch, out, "--arithmetic-questions", "--tools", "code"));
    assertTrue(
        noSearch.toString().contains("--tools: the demo's agent needs search"),
        noSearch.toString());

    StringWriter noArithmetic = new StringWriter();
    assertNotEquals(0, run(noArithmetic, out, "--tools", "search,code"));
    assertTrue(
        noArithmetic.toString().contains("--tools code needs --arithmetic-questions"),
        noArithmetic.toString());
    assertFalse(Files.exists(out), "refused before anything ran");
  }
}
