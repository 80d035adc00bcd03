package org.research4j.search.flashrag;

import java.io.IOException;
import java.nio.file.Path;

/** A line of a JSONL file that is not what its format requires, reported as {@code file:line}. */
public final class MalformedLineException extends IOException {
  private final Path file;
  private final long line;
  private final String reason;

  public MalformedLineException(Path file, long line, String reason) {
    super(
        file
            + ":"
            + line
            + ": "
            + reason
            + " (fix the line, or skip malformed lines with --skip-malformed)");
    this.file = file;
    this.line = line;
    this.reason = reason;
  }

  public Path file() {
    return file;
  }

  public long line() {
    return line;
  }

  /** What was wrong with the line, without the location. */
  public String reason() {
    return reason;
  }
}
