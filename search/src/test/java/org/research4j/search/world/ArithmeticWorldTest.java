package org.research4j.search.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.research4j.search.flashrag.CorpusFormat;
import org.research4j.search.flashrag.JsonlReader;
import org.research4j.search.flashrag.OnMalformed;
import org.research4j.search.flashrag.Passage;
import org.research4j.search.flashrag.QaExample;
import org.research4j.search.flashrag.QaFormat;

/**
 * The world with arithmetic questions on, checked from its files: the corpus is the default
 * world's, byte for byte; every split holds the three arithmetic types; every search hop is
 * answered by its passage; the code hop's program computes the golden answer from the answers of
 * the search hops; and no dev or test question names an entity a training question names.
 */
class ArithmeticWorldTest {
  @TempDir static Path tmp;
  private static Path world;
  private static Map<String, Passage> corpus;
  private static Map<String, List<QaExample>> splits;
  private static final Pattern PROGRAM = Pattern.compile("console\\.log\\((\\d+) ([-+]) (\\d+)\\)");

  @BeforeAll
  static void generate() throws IOException {
    world = tmp.resolve("world");
    WorldGenerator.generate(
        WorldConfig.defaults().withQuestions(1500, 300, 300).withArithmetic(true), world, n -> {});
    corpus = new HashMap<>();
    try (JsonlReader<Passage> in =
        CorpusFormat.reader(world.resolve("corpus.jsonl"), OnMalformed.FAIL)) {
      for (Passage p = in.next(); p != null; p = in.next()) {
        corpus.put(p.id(), p);
      }
    }
    splits = new HashMap<>();
    for (String split : WorldGenerator.SPLITS) {
      splits.put(split, QaFormat.readAll(world.resolve(split + ".jsonl"), OnMalformed.FAIL));
    }
  }

  @Test
  void theCorpusIsTheDefaultWorlds() throws IOException {
    assertEquals(
        WorldGeneratorTest.DEFAULT_WORLD_SHA256.get("corpus.jsonl"),
        WorldGeneratorTest.sha256(world.resolve("corpus.jsonl")));
  }

  @Test
  void everySplitHoldsEveryArithmeticTypeAndTheSummaryCountsThem() throws IOException {
    JsonNode summary = new ObjectMapper().readTree(world.resolve("world.json").toFile());
    for (String split : WorldGenerator.SPLITS) {
      Map<String, Integer> byType = new HashMap<>();
      for (QaExample q : splits.get(split)) {
        byType.merge(q.type(), 1, Integer::sum);
      }
      for (String t : QuestionType.ARITHMETIC.stream().map(QuestionType::id).toList()) {
        // 8 types drawn uniformly: about 1/8 of the questions each.
        int n = byType.getOrDefault(t, 0);
        int total = splits.get(split).size();
        assertTrue(n > total / 16, split + ": " + n + " " + t + " questions of " + total);
        assertEquals(
            n, summary.path("question_types").path(split).path(t).asInt(), split + " " + t);
      }
    }
  }

  @Test
  void searchesRetrieveTheOperandsAndTheProgramComputesTheAnswer() {
    int checked = 0;
    for (String split : WorldGenerator.SPLITS) {
      for (QaExample q : splits.get(split)) {
        @SuppressWarnings("unchecked")
        List<Map<String, String>> hops = (List<Map<String, String>>) q.metadata().get("hops");
        if (!QuestionType.of(q.type()).orElseThrow().arithmetic()) {
          for (Map<String, String> hop : hops) {
            assertFalse(hop.containsKey("tool"), q.id() + ": a MuSiQue-like hop with a tool key");
          }
          continue;
        }
        Map<String, String> last = hops.getLast();
        assertEquals("code", last.get("tool"), q.id() + ": the last hop computes");
        assertNull(last.get("passage"), q.id() + ": a computation has no passage");
        Set<String> retrieved = new HashSet<>();
        for (Map<String, String> hop : hops.subList(0, hops.size() - 1)) {
          assertEquals("search", hop.get("tool"), q.id() + ": every other hop searches");
          Passage p = corpus.get(hop.get("passage"));
          assertTrue(p != null && q.supportingPassages().contains(p.id()), q.id());
          assertTrue(
              p.contents().contains(hop.get("answer")),
              q.id() + ": \"" + hop.get("answer") + "\" not in passage " + p.id());
          retrieved.add(hop.get("answer"));
        }
        Matcher m = PROGRAM.matcher(last.get("program"));
        assertTrue(m.matches(), q.id() + ": program " + last.get("program"));
        long a = Long.parseLong(m.group(1));
        long b = Long.parseLong(m.group(3));
        long value = m.group(2).equals("-") ? a - b : a + b;
        assertTrue(
            retrieved.contains(m.group(1)) && retrieved.contains(m.group(3)),
            q.id() + ": operands " + a + ", " + b + " not among the retrieved " + retrieved);
        assertEquals(Long.toString(value), last.get("answer"), q.id());
        assertEquals(List.of(Long.toString(value)), q.goldenAnswers(), q.id());
        QaExample.Hop read = q.hops().getLast();
        assertTrue(read.isComputation() && read.program().equals(last.get("program")), q.id());
        assertFalse(q.hops().getFirst().isComputation(), q.id());
        assertTrue(value > 0, q.id() + ": " + value);
        if (!q.type().equals(QuestionType.YEAR_SUM.id())) {
          assertEquals("-", m.group(2), q.id());
        }
        checked++;
      }
    }
    assertTrue(checked > 500, "checked " + checked);
  }

  @Test
  void noTestOrDevQuestionNamesAnEntityThatATrainingQuestionNames() {
    Set<String> trained = new HashSet<>();
    for (QaExample q : splits.get("train")) {
      trained.addAll(entities(q));
    }
    for (String split : List.of("dev", "test")) {
      for (QaExample q : splits.get(split)) {
        for (String e : entities(q)) {
          assertFalse(
              trained.contains(e),
              q.id() + " (" + q.type() + ") names " + e + ", which a training question names");
        }
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static List<String> entities(QaExample q) {
    return new ArrayList<>((List<String>) q.metadata().get("entities"));
  }
}
