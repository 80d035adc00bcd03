package org.research4j.search.flashrag;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QaExampleTest {

  @Test
  void hopsAndEntitiesAreReadFromTheMetadata() {
    Map<String, Object> noPassage = new HashMap<>();
    noPassage.put("question", "Where was Mybous Flopom born?");
    noPassage.put("answer", "Mainsto");
    QaExample q =
        new QaExample(
            "q",
            "?",
            List.of("Mainsto"),
            Map.of(
                "entities", List.of("Vremer Industries"),
                "hops",
                    List.of(
                        Map.of(
                            "question",
                            "Who founded Vremer Industries?",
                            "answer",
                            "Mybous Flopom",
                            "passage",
                            7),
                        Map.of("question", "a hop without its answer"),
                        noPassage)));
    assertEquals(
        List.of(
            new QaExample.Hop("Who founded Vremer Industries?", "Mybous Flopom", "7"),
            new QaExample.Hop("Where was Mybous Flopom born?", "Mainsto", null)),
        q.hops());
    assertEquals(List.of("Vremer Industries"), q.entities());
  }

  @Test
  void withoutMetadataThereAreNoHopsNorEntities() {
    QaExample q = new QaExample("q", "?", List.of("a"), null);
    assertEquals(List.of(), q.hops());
    assertEquals(List.of(), q.entities());
  }
}
