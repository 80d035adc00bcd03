package org.research4j.search.flashrag;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes FlashRAG QA lines; metadata maps are written in their iteration order. */
public final class QaWriter implements Closeable {
  private final JsonGenerator out;

  public QaWriter(Path file) throws IOException {
    this.out =
        Json.MAPPER
            .getFactory()
            .createGenerator(
                new BufferedOutputStream(Files.newOutputStream(file), 1 << 16), JsonEncoding.UTF8);
  }

  public void write(QaExample qa) throws IOException {
    out.writeStartObject();
    out.writeStringField("id", qa.id());
    out.writeStringField("question", qa.question());
    out.writeArrayFieldStart("golden_answers");
    for (String a : qa.goldenAnswers()) {
      out.writeString(a);
    }
    out.writeEndArray();
    out.writeFieldName("metadata");
    out.writeObject(qa.metadata());
    out.writeEndObject();
    out.writeRaw('\n');
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
