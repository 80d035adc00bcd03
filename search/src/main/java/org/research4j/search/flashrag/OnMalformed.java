package org.research4j.search.flashrag;

/** What a reader does with a line it cannot parse. */
public enum OnMalformed {
  /** Throw {@link MalformedLineException} naming the file and line: the default. */
  FAIL,
  /** Skip the line and count it; the caller reports the count when the file is done. */
  SKIP
}
