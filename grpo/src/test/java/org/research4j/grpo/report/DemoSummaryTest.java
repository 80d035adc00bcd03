package org.research4j.grpo.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.research4j.grpo.eval.Evaluation;
import org.research4j.grpo.eval.PassAtK;

/**
 * {@code summary.json}: written atomically, read back equal, NaN diagnostics left out, the LLM
 * judge's score only where a judge scored, calls per tool only where the demo had more tools than
 * search, bad files named.
 */
class DemoSummaryTest {

  private static DemoSummary filled() {
    Map<String, Evaluation.Summary> byType = new LinkedHashMap<>();
    byType.put("bridge", new Evaluation.Summary(3, 1.0 / 3, 0.5, 0.7, 2.0 / 3, 1.25, 101.5, 60));
    byType.put("comparison", new Evaluation.Summary(2, 0, 0.125, 0.2, 1, 2, 90, 50));
    Map<String, Double> diag = new LinkedHashMap<>();
    diag.put("hops", 7.0);
    diag.put("query_entity", 0.5714285714285714);
    diag.put("read_exact", Double.NaN);
    diag.put("gold_retrieved", 0.1);
    return DemoSummary.begin(42, "--seed", "42", "--grpo-steps", "20")
        .stage(DemoSummary.WORLD, 1.5)
        .stage(DemoSummary.PRETRAIN, 100.25)
        .stage(DemoSummary.EVALUATION, 3)
        .stage(DemoSummary.EVALUATION, 4.5)
        .method(
            "Naive RAG", new Evaluation.Summary(5, 0.2, 0.35, 0.5, 0.8, 1, 97, 55), byType, diag)
        .method(
            "ReSearch, GRPO",
            new Evaluation.Summary(5, 0.4, 0.55, 0.9, 1, 2.2, 120, 70),
            Map.of(),
            Map.of())
        .passAtK(
            "ReSearch, GRPO",
            PassAtK.Result.of(
                4,
                List.of(
                    new PassAtK.Count("a", 1),
                    new PassAtK.Count("b", 4),
                    new PassAtK.Count("c", 0))))
        .note("grpo resumed from step 10");
  }

  @Test
  void writesAtomicallyAndReadsBackTheSameValues(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("run").resolve(DemoSummary.FILE);
    DemoSummary s = filled();
    DemoSummary.Data written = s.write(file);
    try (Stream<Path> files = Files.list(file.getParent())) {
      assertEquals(List.of(file), files.toList(), "only summary.json, no temporary file left");
    }
    DemoSummary.Data read = DemoSummary.read(file);
    assertEquals(written, read);
    assertEquals(42, read.seed());
    assertEquals(List.of("--seed", "42", "--grpo-steps", "20"), read.command());
    assertEquals(
        List.of("world", "pretrain", "evaluation", "total"),
        List.copyOf(read.wallSeconds().keySet()));
    assertEquals(7.5, read.wallSeconds().get("evaluation"));
    assertTrue(read.wallSeconds().get("total") >= 0);
    DemoSummary.Method rag = read.methods().get("Naive RAG");
    assertEquals(new DemoSummary.Scores(5, 0.2, 0.35, 0.8, 1, 97), rag.all());
    assertEquals(
        new DemoSummary.Scores(3, 1.0 / 3, 0.5, 2.0 / 3, 1.25, 101.5), rag.byType().get("bridge"));
    assertEquals(List.of("bridge", "comparison"), List.copyOf(rag.byType().keySet()));
    assertEquals(
        Map.of("hops", 7.0, "query_entity", 0.5714285714285714, "gold_retrieved", 0.1),
        rag.diagnostics());
    DemoSummary.Curve c = read.passAtK().get("ReSearch, GRPO");
    assertEquals(4, c.n());
    assertEquals(3, c.questions());
    assertEquals(List.of(1, 2, 4), List.copyOf(c.curve().keySet()));
    assertEquals((0.25 + 1 + 0) / 3, c.curve().get(1), 1e-15);
    assertEquals(List.of("grpo resumed from step 10"), read.notes());

    JsonNode raw = new ObjectMapper().readTree(file.toFile());
    JsonNode diag = raw.at("/methods/Naive RAG/diagnostics");
    assertTrue(diag.isObject());
    assertFalse(diag.has("read_exact"), "NaN diagnostics are left out");
    assertEquals(3, diag.size());
    assertEquals(0.35, raw.at("/methods/Naive RAG/f1").asDouble());
    assertEquals(0.125, raw.at("/methods/Naive RAG/by_type/comparison/f1").asDouble());
    assertEquals(4, raw.at("/pass_at_k/ReSearch, GRPO/n").asInt());
    assertTrue(raw.at("/pass_at_k/ReSearch, GRPO/curve/4").isNumber());

    // rewriting replaces the file in one piece
    s.stage(DemoSummary.TOTAL, 200).write(file);
    assertEquals(200.0, DemoSummary.read(file).wallSeconds().get("total"));
    try (Stream<Path> files = Files.list(file.getParent())) {
      assertEquals(1, files.count());
    }
  }

  @Test
  void theJudgesScoreIsAddedPerMethodAndTypeAndReadBack(@TempDir Path dir) throws IOException {
    Path file = dir.resolve(DemoSummary.FILE);
    DemoSummary s = filled().judged("Naive RAG", 0.6, Map.of("bridge", 2.0 / 3));
    s.write(file);
    DemoSummary.Data read = DemoSummary.read(file);
    DemoSummary.Method rag = read.methods().get("Naive RAG");
    assertEquals(new DemoSummary.Scores(5, 0.2, 0.35, 0.8, 1, 97, 0.6), rag.all());
    assertEquals(
        new DemoSummary.Scores(3, 1.0 / 3, 0.5, 2.0 / 3, 1.25, 101.5, 2.0 / 3),
        rag.byType().get("bridge"));
    assertEquals(
        null, rag.byType().get("comparison").lj(), "a type the judge gave no score keeps none");
    assertEquals(
        null, read.methods().get("ReSearch, GRPO").all().lj(), "a method not judged has no LJ");
    assertEquals(rag.diagnostics(), filled().data().methods().get("Naive RAG").diagnostics());

    JsonNode raw = new ObjectMapper().readTree(file.toFile());
    assertEquals(0.6, raw.at("/methods/Naive RAG/lj").asDouble());
    assertEquals(2.0 / 3, raw.at("/methods/Naive RAG/by_type/bridge/lj").asDouble());
    assertFalse(raw.at("/methods/Naive RAG/by_type/comparison").has("lj"));
    assertFalse(raw.at("/methods/ReSearch, GRPO").has("lj"), "no lj key without a judge");

    Files.writeString(
        file, Files.readString(file).replaceFirst("\"lj\" : 0.6", "\"lj\" : \"yes\""));
    IOException e = assertThrows(IOException.class, () -> DemoSummary.read(file));
    assertEquals(file + ": methods.Naive RAG.lj is not a number", e.getMessage());
    IllegalStateException unknown =
        assertThrows(IllegalStateException.class, () -> filled().judged("IRCoT", 0.5, Map.of()));
    assertEquals("no method IRCoT recorded to add its LJ score to", unknown.getMessage());
  }

  @Test
  void callsPerToolAreKeptOnlyWhenAskedForAndReadBack(@TempDir Path dir) throws IOException {
    Path file = dir.resolve(DemoSummary.FILE);
    Evaluation.Summary agent =
        new Evaluation.Summary(
            4, 0.5, 0.5, 0.5, 1, 2.5, 100, 60, Map.of("search", 1.75, "code", 0.75));
    Evaluation.Summary searchOnly =
        new Evaluation.Summary(4, 0.25, 0.25, 0.25, 1, 2, 90, 50, Map.of("search", 2.0));
    Evaluation.Summary baseline = new Evaluation.Summary(4, 0, 0.1, 0, 0.5, 3, 80, 40);
    List<String> tools = List.of("search", "code");
    filled()
        .method("ReSearch, GRPO", agent, Map.of("year_sum", agent), Map.of(), tools)
        .method("ReSearch, GRPO (search only)", searchOnly, Map.of(), Map.of(), tools)
        .method("IRCoT", baseline, Map.of(), Map.of(), tools)
        .write(file);
    DemoSummary.Data read = DemoSummary.read(file);
    assertEquals(
        Map.of("search", 1.75, "code", 0.75), read.methods().get("ReSearch, GRPO").all().calls());
    assertEquals(
        List.of("search", "code"),
        List.copyOf(read.methods().get("ReSearch, GRPO").all().calls().keySet()),
        "in the tools' order");
    assertEquals(
        Map.of("search", 1.75, "code", 0.75),
        read.methods().get("ReSearch, GRPO").byType().get("year_sum").calls());
    assertEquals(
        Map.of("search", 2.0, "code", 0.0),
        read.methods().get("ReSearch, GRPO (search only)").all().calls(),
        "a tool never called counts 0");
    assertEquals(
        Map.of("search", 3.0, "code", 0.0),
        read.methods().get("IRCoT").all().calls(),
        "a baseline's retrievals, attributed to no tool, are searches");
    assertEquals(Map.of(), read.methods().get("Naive RAG").all().calls(), "none without tools");

    JsonNode raw = new ObjectMapper().readTree(file.toFile());
    assertEquals(0.75, raw.at("/methods/ReSearch, GRPO/calls/code").asDouble());
    assertFalse(raw.at("/methods/Naive RAG").has("calls"), "the paper's summary has no calls key");
    assertFalse(raw.at("/methods/Naive RAG/by_type/bridge").has("calls"));
  }

  @Test
  void namesTheFileAndTheKeyOnBadInput(@TempDir Path dir) throws IOException {
    Path missing = dir.resolve("nope").resolve(DemoSummary.FILE);
    IOException e = assertThrows(IOException.class, () -> DemoSummary.read(missing));
    assertTrue(e.getMessage().startsWith(missing + ": "), e.getMessage());

    Path cut = dir.resolve("cut.json");
    Files.writeString(cut, "{\"seed\": 42, \"command\": [");
    e = assertThrows(IOException.class, () -> DemoSummary.read(cut));
    assertTrue(e.getMessage().startsWith(cut + ": not JSON"), e.getMessage());

    Path good = dir.resolve("good.json");
    filled().stage(DemoSummary.TOTAL, 1).write(good);
    String text = Files.readString(good);
    Path badF1 = dir.resolve("bad-f1.json");
    Files.writeString(badF1, text.replaceFirst("\"f1\" : 0.35", "\"f1\" : \"high\""));
    e = assertThrows(IOException.class, () -> DemoSummary.read(badF1));
    assertEquals(badF1 + ": methods.Naive RAG.f1 is not a number", e.getMessage());

    Path noSeed = dir.resolve("no-seed.json");
    Files.writeString(noSeed, text.replaceFirst("\"seed\" : 42,", ""));
    e = assertThrows(IOException.class, () -> DemoSummary.read(noSeed));
    assertEquals(noSeed + ": seed is not an integer", e.getMessage());

    Path noEm = dir.resolve("no-em.json");
    Files.writeString(noEm, text.replaceFirst("\"em\" : 0.4,", ""));
    e = assertThrows(IOException.class, () -> DemoSummary.read(noEm));
    assertEquals(noEm + ": methods.ReSearch, GRPO.em is missing", e.getMessage());
  }
}
