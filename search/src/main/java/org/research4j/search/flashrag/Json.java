package org.research4j.search.flashrag;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The one Jackson configuration the search module reads and writes JSON with. */
public final class Json {
  /**
   * Writes no separator between root values, so each writer controls its own line breaks: JSONL
   * needs exactly one newline after each object and Jackson's default is a space.
   */
  public static final ObjectMapper MAPPER =
      new ObjectMapper(new JsonFactory().setRootValueSeparator(null));

  private Json() {}
}
