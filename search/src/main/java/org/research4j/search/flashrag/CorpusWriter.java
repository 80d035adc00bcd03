package org.research4j.search.flashrag;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes a FlashRAG corpus, one {@code {"id", "contents"}} object per line, in call order. */
public final class CorpusWriter implements Closeable {
  private final JsonGenerator out;
  private long written;

  public CorpusWriter(Path file) throws IOException {
    this.out =
        Json.MAPPER
            .getFactory()
            .createGenerator(
                new BufferedOutputStream(Files.newOutputStream(file), 1 << 16), JsonEncoding.UTF8);
  }

  public void write(Passage passage) throws IOException {
    out.writeStartObject();
    out.writeStringField("id", passage.id());
    out.writeStringField("contents", passage.contents());
    out.writeEndObject();
    out.writeRaw('\n');
    written++;
  }

  /** Passages written so far. */
  public long written() {
    return written;
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
