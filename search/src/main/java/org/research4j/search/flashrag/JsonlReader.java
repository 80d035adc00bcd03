package org.research4j.search.flashrag;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Reads a JSONL file one record at a time, turning each non-blank line into a value with a {@link
 * LineParser}. A line the parser rejects either stops the read with a {@link
 * MalformedLineException} that names {@code file:line}, or is skipped and counted, according to
 * {@link OnMalformed}. Blank lines are not records and are passed over silently.
 */
public final class JsonlReader<T> implements Closeable {

  /** Turns one line into a value, or says in {@link BadLine} what is wrong with it. */
  @FunctionalInterface
  public interface LineParser<T> {
    T parse(String line) throws BadLine;
  }

  /** A line's defect, without its location; the reader adds {@code file:line}. */
  public static final class BadLine extends Exception {
    public BadLine(String reason) {
      super(reason, null, false, false);
    }
  }

  private static final int EXAMPLES_KEPT = 5;

  private final Path file;
  private final OnMalformed onMalformed;
  private final LineParser<T> parser;
  private final CountingInputStream counted;
  private final BufferedReader in;
  private long line;
  private long skipped;
  private final List<String> skippedExamples = new ArrayList<>();

  public JsonlReader(Path file, OnMalformed onMalformed, LineParser<T> parser) throws IOException {
    this.file = Objects.requireNonNull(file, "file");
    this.onMalformed = Objects.requireNonNull(onMalformed, "onMalformed");
    this.parser = Objects.requireNonNull(parser, "parser");
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "no such file to read");
    }
    this.counted = new CountingInputStream(Files.newInputStream(file));
    this.in = new BufferedReader(new InputStreamReader(counted, StandardCharsets.UTF_8), 1 << 16);
  }

  /** The next record, or null at the end of the file. */
  public T next() throws IOException {
    String text;
    while ((text = in.readLine()) != null) {
      line++;
      if (text.isBlank()) {
        continue;
      }
      try {
        return parser.parse(text);
      } catch (BadLine bad) {
        if (onMalformed == OnMalformed.FAIL) {
          throw new MalformedLineException(file, line, bad.getMessage());
        }
        skipped++;
        if (skippedExamples.size() < EXAMPLES_KEPT) {
          skippedExamples.add(file + ":" + line + ": " + bad.getMessage());
        }
      }
    }
    return null;
  }

  public Path file() {
    return file;
  }

  /** The 1-based line number of the record last returned. */
  public long line() {
    return line;
  }

  /** How many malformed lines were skipped so far (always 0 under {@link OnMalformed#FAIL}). */
  public long skipped() {
    return skipped;
  }

  /** The first few skipped lines, each as {@code file:line: reason}. */
  public List<String> skippedExamples() {
    return List.copyOf(skippedExamples);
  }

  /** Bytes read from the file so far; runs ahead of {@link #line()} by the read buffer. */
  public long bytesRead() {
    return counted.count;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }

  private static final class CountingInputStream extends FilterInputStream {
    private volatile long count;

    CountingInputStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }
  }
}
