package org.research4j.search.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
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
 * The generated world, checked from its files alone: what a user gets is what is tested. The
 * default world (seed 42) is generated once for the class; determinism generates it again.
 */
class WorldGeneratorTest {
  @TempDir static Path tmp;
  private static Path world;
  private static WorldSummary summary;
  private static Map<String, Passage> corpus;
  private static Map<String, List<QaExample>> splits;

  @BeforeAll
  static void generate() throws IOException {
    world = tmp.resolve("world");
    summary = WorldGenerator.generate(WorldConfig.defaults(), world, n -> {});
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

  static String sha256(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int n = in.read(buf); n > 0; n = in.read(buf)) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void theSameSeedWritesTheSameBytesAndAnotherSeedDoesNot() throws IOException {
    Path again = tmp.resolve("again");
    WorldGenerator.generate(WorldConfig.defaults(), again, n -> {});
    for (String file :
        List.of("corpus.jsonl", "train.jsonl", "dev.jsonl", "test.jsonl", "world.json")) {
      assertEquals(sha256(world.resolve(file)), sha256(again.resolve(file)), file + " differs");
    }
    Path other = tmp.resolve("other");
    WorldGenerator.generate(WorldConfig.defaults().withSeed(7), other, n -> {});
    assertNotEquals(sha256(world.resolve("corpus.jsonl")), sha256(other.resolve("corpus.jsonl")));
  }

  /**
   * SHA-256 of the default world's files (seed 42, scale 1), as generated before arithmetic
   * questions existed: the option that adds them is off by default and must leave every byte (and
   * so every demo result) as it was.
   */
  static final Map<String, String> DEFAULT_WORLD_SHA256 =
      Map.of(
          "corpus.jsonl", "b06c808e36fbca928eef22f092173cb9fd08fd0df0a81ffd55286e09bdb0c41e",
          "train.jsonl", "967267d9f2c96fc10ea0f043dc71583fce799f102c2209c96eb263c3422d8835",
          "dev.jsonl", "4a00172c4f4af32a89ee30a1c56aa2d73919709f9921c958306fecd02a6c3143",
          "test.jsonl", "16c8580115eb44bc45fc5f6c5114b88c3160c59de30a65501029f2b2b9de8450",
          "world.json", "e935b4d1573755c2a179a00866c9a6a4354f8a199df8cefeaf038604a72e43a7");

  @Test
  void theDefaultWorldIsByteForByteTheOneBeforeArithmeticQuestions() throws IOException {
    for (Map.Entry<String, String> e : DEFAULT_WORLD_SHA256.entrySet()) {
      assertEquals(e.getValue(), sha256(world.resolve(e.getKey())), e.getKey() + " changed");
    }
  }

  @Test
  void theDefaultWorldIsAFewThousandPassagesWithEveryQuestionTypeInEverySplit() {
    assertEquals(corpus.size(), summary.passages());
    assertTrue(
        summary.passages() >= 2000 && summary.passages() <= 5000,
        "passages: " + summary.passages());
    assertEquals(5000, splits.get("train").size());
    assertEquals(500, splits.get("dev").size());
    assertEquals(500, splits.get("test").size());
    for (String split : WorldGenerator.SPLITS) {
      for (QuestionType type : QuestionType.MUSIQUE) {
        long n = splits.get(split).stream().filter(q -> q.type().equals(type.id())).count();
        assertTrue(n >= 0.05 * splits.get(split).size(), split + " has only " + n + " " + type);
      }
    }
  }

  @Test
  void noTestOrDevQuestionNamesAnEntityThatATrainingQuestionNames() {
    StringBuilder trainText = new StringBuilder();
    for (QaExample q : splits.get("train")) {
      trainText.append(q.question()).append('\n');
    }
    String all = trainText.toString();
    int checked = 0;
    for (String split : List.of("dev", "test")) {
      for (QaExample q : splits.get(split)) {
        @SuppressWarnings("unchecked")
        List<String> entities = (List<String>) q.metadata().get("entities");
        assertFalse(entities.isEmpty(), q.id() + " names no entity");
        for (String e : entities) {
          assertTrue(q.question().contains(e), q.id() + ": entity " + e + " not in its question");
          Matcher m = Pattern.compile("\\b" + Pattern.quote(e) + "\\b").matcher(all);
          assertFalse(
              m.find(),
              split + " entity \"" + e + "\" (" + q.id() + ") appears in a train" + " question");
          checked++;
        }
      }
    }
    assertTrue(checked > 1000);
  }

  @Test
  void everyHopIsAnsweredByItsPassageAndTheChainGivesTheGoldenAnswer() {
    Pattern span = Pattern.compile("(?i)(?:from|between) (\\d{4}) (?:to|and) (\\d{4})");
    Pattern asksYear = Pattern.compile(" in (\\d{4})\\?$");
    for (String split : WorldGenerator.SPLITS) {
      for (QaExample q : splits.get(split)) {
        @SuppressWarnings("unchecked")
        List<Map<String, String>> hops = (List<Map<String, String>>) q.metadata().get("hops");
        List<String> support = q.supportingPassages();
        assertFalse(hops.isEmpty());
        List<String> hopAnswers = new ArrayList<>();
        for (Map<String, String> hop : hops) {
          Passage p = corpus.get(hop.get("passage"));
          assertTrue(p != null, q.id() + ": hop passage " + hop.get("passage") + " not in corpus");
          assertTrue(support.contains(p.id()), q.id() + ": hop passage not among supporting ones");
          String answer = hop.get("answer");
          hopAnswers.add(answer);
          assertTrue(
              p.contents().contains(answer),
              q.id()
                  + ": hop answer \""
                  + answer
                  + "\" not in passage "
                  + p.id()
                  + ": "
                  + p.contents());
          Matcher year = asksYear.matcher(hop.get("question"));
          if (year.find()) {
            // "Who was mayor of Z in Y?": the answer's sentence must state a span holding Y.
            int y = Integer.parseInt(year.group(1));
            String sentence = sentenceWith(p.text(), answer);
            Matcher s = span.matcher(sentence);
            assertTrue(s.find(), q.id() + ": no term in \"" + sentence + "\"");
            assertTrue(
                Integer.parseInt(s.group(1)) <= y && y <= Integer.parseInt(s.group(2)),
                q.id() + ": " + y + " outside \"" + sentence + "\"");
          }
        }
        if (q.type().equals(QuestionType.COMPARISON.id())) {
          @SuppressWarnings("unchecked")
          List<String> named = (List<String>) q.metadata().get("entities");
          int earlier =
              Integer.parseInt(hopAnswers.get(0)) < Integer.parseInt(hopAnswers.get(1)) ? 0 : 1;
          assertEquals(named.get(earlier), q.goldenAnswers().getFirst(), q.id() + ": wrong winner");
        } else {
          assertEquals(
              hopAnswers.getLast(),
              q.goldenAnswers().getFirst(),
              q.id() + ": the last hop's answer is the question's answer");
        }
        for (int h = 1; h < hops.size() && !q.type().equals(QuestionType.COMPARISON.id()); h++) {
          String previous = hopAnswers.get(h - 1);
          assertTrue(
              hops.get(h).get("question").contains(previous),
              q.id() + ": hop " + h + " does not use the answer of hop " + (h - 1));
        }
        boolean found = false;
        for (String id : support) {
          for (String a : q.goldenAnswers()) {
            found |= corpus.get(id).contents().contains(a);
          }
        }
        assertTrue(found, q.id() + ": no golden answer in any supporting passage");
      }
    }
  }

  private static String sentenceWith(String text, String needle) {
    for (String s : text.split("(?<=\\.) ")) {
      if (s.contains(needle)) {
        return s;
      }
    }
    return "";
  }

  @Test
  void aPassageTargetScalesTheCorpus() throws IOException {
    WorldSummary s =
        WorldGenerator.generate(
            WorldConfig.defaults().withPassages(12_000).withQuestions(10, 10, 10),
            tmp.resolve("big"),
            n -> {});
    assertTrue(
        Math.abs(s.passages() - 12_000) < 1_200, "asked 12000 passages, got " + s.passages());
  }
}
