package org.research4j.search.world;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;
import org.research4j.search.flashrag.CorpusWriter;
import org.research4j.search.flashrag.Json;
import org.research4j.search.flashrag.QaWriter;

/**
 * Generates a world into a directory: {@code corpus.jsonl} (FlashRAG passages), {@code
 * train.jsonl}, {@code dev.jsonl}, {@code test.jsonl} (FlashRAG QA, with per-hop sub-questions and
 * supporting passage ids in the metadata) and {@code world.json} (the summary). With {@link
 * WorldConfig#arithmetic} on, the splits also hold questions that need arithmetic over retrieved
 * facts, whose hops say which are searches and which computations; the corpus is the same either
 * way.
 */
public final class WorldGenerator {
  public static final String CORPUS = "corpus.jsonl";
  public static final List<String> SPLITS = List.of("train", "dev", "test");
  public static final String SUMMARY = "world.json";

  /** Identifies the generator's output; bumped whenever the same seed would write other bytes. */
  public static final String VERSION = "research4j-world-1";

  private WorldGenerator() {}

  /** The number of passages a configuration will write, about; for progress bars. */
  public static long estimatedPassages(WorldConfig config) {
    return Math.round(config.scale() * WorldConfig.PASSAGES_PER_SCALE);
  }

  /**
   * Writes the world; {@code progress} hears the number of passages written so far.
   *
   * @return the summary also written to {@code world.json}
   */
  public static WorldSummary generate(WorldConfig config, Path dir, LongConsumer progress)
      throws IOException {
    Files.createDirectories(dir);
    Population world = Population.generate(config);
    long passages;
    try (CorpusWriter corpus = new CorpusWriter(dir.resolve(CORPUS))) {
      new Encyclopedia(world, config).write(corpus, Streams.of(config.seed(), "order"), progress);
      passages = corpus.written();
    }
    int[] wanted = {config.trainQuestions(), config.devQuestions(), config.testQuestions()};
    Map<String, Integer> questions = new LinkedHashMap<>();
    Map<String, Map<String, Integer>> types = new LinkedHashMap<>();
    for (int split = 0; split < SPLITS.size(); split++) {
      String name = SPLITS.get(split);
      List<Question> drawn =
          new QuestionFactory(
                  world, split, Streams.of(config.seed(), "questions-" + name), config.arithmetic())
              .draw(wanted[split]);
      Map<String, Integer> byType = new LinkedHashMap<>();
      for (QuestionType t : QuestionType.drawn(config.arithmetic())) byType.put(t.id(), 0);
      try (QaWriter out = new QaWriter(dir.resolve(name + ".jsonl"))) {
        for (int i = 0; i < drawn.size(); i++) {
          Question q = drawn.get(i);
          out.write(q.toQa(name + "_" + i));
          byType.merge(q.type().id(), 1, Integer::sum);
        }
      }
      questions.put(name, drawn.size());
      types.put(name, byType);
    }
    Map<String, Integer> entities = new LinkedHashMap<>();
    entities.put("countries", world.countries.size());
    entities.put("cities", world.cities.size());
    entities.put("companies", world.companies.size());
    entities.put("people", world.people.size());
    WorldSummary summary =
        new WorldSummary(config.seed(), config.scale(), passages, entities, questions, types);
    writeSummary(summary, dir.resolve(SUMMARY));
    return summary;
  }

  private static void writeSummary(WorldSummary s, Path file) throws IOException {
    ObjectNode node = Json.MAPPER.createObjectNode();
    node.put("generator", VERSION);
    node.put("seed", s.seed());
    node.put("scale", s.scale());
    node.put("passages", s.passages());
    node.set("entities", Json.MAPPER.valueToTree(s.entities()));
    node.set("questions", Json.MAPPER.valueToTree(s.questions()));
    node.set("question_types", Json.MAPPER.valueToTree(s.types()));
    ObjectNode files = node.putObject("files");
    files.put("corpus", CORPUS);
    for (String split : SPLITS) {
      files.put(split, split + ".jsonl");
    }
    Files.writeString(
        file, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n");
  }
}
