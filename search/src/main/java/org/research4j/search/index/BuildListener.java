package org.research4j.search.index;

/**
 * Hears how far an index build has got, so a command line can draw a progress bar while the library
 * stays free of terminal code. Called from the reading thread only.
 */
public interface BuildListener {
  BuildListener NONE = new BuildListener() {};

  /** The corpus file's size, before reading starts. */
  default void started(long corpusBytes) {}

  /** After each batch of passages is handed to the indexing threads. */
  default void read(long corpusBytesRead, long passages) {}

  /** When every passage is indexed and the final merge, if any, begins. */
  default void merging() {}
}
