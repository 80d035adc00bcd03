package org.research4j.search.index;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.StopFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.en.EnglishPossessiveFilter;
import org.apache.lucene.analysis.en.PorterStemFilter;
import org.apache.lucene.analysis.standard.StandardTokenizer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;

/**
 * English analysis as Anserini does it by default, so that BM25 figures are comparable with the
 * field's Pyserini baselines: standard (UAX#29) tokenizer, possessive "'s" removed, lower case,
 * Lucene's 33 English stop words, Porter stemming. "Company's" becomes "compani".
 */
public final class PassageAnalyzer extends Analyzer {
  /** Names this chain in {@code index.json}, so a searcher can tell what built an index. */
  public static final String NAME = "standard+possessive+lowercase+stop33+porter";

  @Override
  protected TokenStreamComponents createComponents(String fieldName) {
    Tokenizer source = new StandardTokenizer();
    TokenStream result = new EnglishPossessiveFilter(source);
    result = new LowerCaseFilter(result);
    result = new StopFilter(result, EnglishAnalyzer.ENGLISH_STOP_WORDS_SET);
    result = new PorterStemFilter(result);
    return new TokenStreamComponents(source, result);
  }

  /** The terms of a text, in order, repeats kept. */
  public List<String> terms(String text) {
    List<String> terms = new ArrayList<>();
    try (TokenStream ts = tokenStream(Index.CONTENTS_FIELD, text)) {
      CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
      ts.reset();
      while (ts.incrementToken()) {
        terms.add(term.toString());
      }
      ts.end();
    } catch (IOException e) {
      throw new UncheckedIOException("analysing a string cannot fail; Lucene said: " + e, e);
    }
    return terms;
  }
}
