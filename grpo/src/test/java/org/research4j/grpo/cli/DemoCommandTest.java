package org.research4j.grpo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.research4j.grpo.report.DemoSummary;
import org.research4j.search.cli.SearchMain;
import picocli.CommandLine;

/**
 * The demo end to end at toy size (a 1-layer model, a few steps of each stage, 4 test questions):
 * every stage runs, the summary names every method with its scores, diagnostics and pass@k, and a
 * second run resumes instead of training again. The numbers it learns are not checked here: at this
 * size they are noise; benchmarks/results/learning.md holds the measured ones.
 */
class DemoCommandTest {
  static final String[] TOY = {
    "--pretrain-steps",
    "2",
    "--sft-steps",
    "2",
    "--grpo-steps",
    "1",
    "--grpo-questions",
    "2",
    "--num-generations",
    "2",
    "--batch",
    "2",
    "--seq-len",
    "512",
    "--vocab",
    "320",
    "--hidden",
    "32",
    "--layers",
    "1",
    "--lm-renamings",
    "1",
    "--eval-questions",
    "4",
    "--samples",
    "2",
    "--pass-k-questions",
    "2"
  };

  private static int run(Path out, StringWriter err) {
    CommandLine cl = new CommandLine(new ResearchCli());
    cl.setErr(new PrintWriter(err, true));
    String[] args = new String[TOY.length + 3];
    args[0] = "demo";
    args[1] = "--out";
    args[2] = out.toString();
    System.arraycopy(TOY, 0, args, 3, TOY.length);
    return SearchMain.execute(cl, args);
  }

  @Test
  void everyStageRunsAndTheSummaryHoldsEveryMethod(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("demo");
    StringWriter err = new StringWriter();
    assertEquals(0, run(out, err), err.toString());
    DemoSummary.Data s = DemoSummary.read(out.resolve(DemoSummary.FILE));
    assertEquals(
        List.of(
            "Naive Generation",
            "Naive RAG",
            "Iter-RetGen",
            "IRCoT",
            "Self-Consistency",
            "ReSearch, warm start",
            "ReSearch, more SFT",
            "ReSearch, GRPO"),
        List.copyOf(s.methods().keySet()));
    for (DemoSummary.Method m : s.methods().values()) {
      assertEquals(4, m.all().n());
      assertTrue(m.all().f1() >= 0 && m.all().f1() <= 1, "F1 " + m.all().f1());
      assertEquals(null, m.all().lj(), "no LLM judge, no LJ score");
    }
    assertTrue(
        s.methods().get("ReSearch, warm start").diagnostics().containsKey("query_entity"),
        "hop diagnostics of the agent: " + s.methods().get("ReSearch, warm start").diagnostics());
    assertEquals(Set.of("ReSearch, warm start", "ReSearch, GRPO"), s.passAtK().keySet());
    assertEquals(List.of(1, 2), List.copyOf(s.passAtK().get("ReSearch, GRPO").curve().keySet()));
    for (String stage :
        List.of(
            DemoSummary.WORLD,
            DemoSummary.PRETRAIN,
            DemoSummary.WARM_START,
            DemoSummary.GRPO,
            DemoSummary.SUPERVISED_CONTROL,
            DemoSummary.EVALUATION,
            DemoSummary.PASS_AT_K,
            DemoSummary.TOTAL)) {
      assertTrue(s.wallSeconds().get(stage) >= 0, stage + " timed");
    }
    assertTrue(
        s.notes().stream().anyMatch(n -> n.startsWith("ReSearch, more SFT: ")),
        "the control's steps and held-out loss are noted: " + s.notes());
    assertTrue(Files.exists(out.resolve("sft-control/metrics.jsonl")), "the control trained");
    assertTrue(Files.size(out.resolve("learning.png")) > 1000);
    assertTrue(Files.size(out.resolve("pass_at_k.png")) > 1000);

    StringWriter again = new StringWriter();
    String sft = Files.readString(out.resolve("sft/metrics.jsonl"));
    String grpo = Files.readString(out.resolve("grpo/metrics.jsonl"));
    String control = Files.readString(out.resolve("sft-control/metrics.jsonl"));
    assertEquals(0, run(out, again), again.toString());
    assertEquals(
        sft,
        Files.readString(out.resolve("sft/metrics.jsonl")),
        "a finished warm start is not trained again");
    assertEquals(
        grpo,
        Files.readString(out.resolve("grpo/metrics.jsonl")),
        "a finished GRPO run is not trained again");
    assertEquals(
        control,
        Files.readString(out.resolve("sft-control/metrics.jsonl")),
        "a finished control plans the same steps and is not trained again");
  }
}
