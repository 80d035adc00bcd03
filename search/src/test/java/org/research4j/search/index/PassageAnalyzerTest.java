package org.research4j.search.index;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class PassageAnalyzerTest {
  private final PassageAnalyzer analyzer = new PassageAnalyzer();

  @Test
  void possessiveIsDroppedThenTheWordIsStemmed() {
    assertEquals(List.of("compani"), analyzer.terms("Company's"));
    assertEquals(List.of("compani"), analyzer.terms("companies"));
  }

  @Test
  void stopWordsGoAndPorterStemsTheRest() {
    // "the", "in", "by", "was", "of" are among Lucene's 33 English stop words; "were" is not.
    assertEquals(
        List.of("compani", "were", "found", "1812", "orlen", "t", "vasko", "mayor", "belmara"),
        analyzer.terms("The Companies were founded in 1812 by Orlen T. Vasko, mayor of Belmara."));
    assertEquals(
        List.of("run", "gener", "connect"), analyzer.terms("RUNNING generalization's connections"));
  }

  @Test
  void punctuationAndQuotesAreNotTerms() {
    assertEquals(List.of("karvel", "work", "1901"), analyzer.terms("\"Karvell Works\"\n(1901)."));
    assertEquals(List.of(), analyzer.terms("the of and ... !"));
  }
}
