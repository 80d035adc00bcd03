package org.research4j.search.flashrag;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The FlashRAG corpus line: {@code {"id": "0", "contents": "\"Title\"\ntext"}}.
 *
 * <p>Ids may be JSON strings or integers (both occur in published corpora) and are kept as strings.
 * A line with {@code "title"} and {@code "text"} instead of {@code "contents"} (the DPR/KILT
 * layout) is accepted and converted. Other fields are ignored.
 */
public final class CorpusFormat {
  private CorpusFormat() {}

  /** Opens a corpus for reading, one {@link Passage} per line. */
  public static JsonlReader<Passage> reader(Path file, OnMalformed onMalformed) throws IOException {
    return new JsonlReader<>(file, onMalformed, CorpusFormat::parse);
  }

  /** Parses one corpus line; streaming, because corpora run to tens of millions of lines. */
  public static Passage parse(String line) throws JsonlReader.BadLine {
    try (JsonParser p = Json.MAPPER.getFactory().createParser(line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new JsonlReader.BadLine(
            "expected a JSON object {\"id\": ..., \"contents\": ...}, got " + describe(p));
      }
      String id = null;
      String contents = null;
      String title = null;
      String text = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        switch (name) {
          case "id" -> id = idText(p, value);
          case "contents" -> contents = stringField(p, value, "contents");
          case "title" -> title = stringField(p, value, "title");
          case "text" -> text = stringField(p, value, "text");
          default -> p.skipChildren();
        }
      }
      if (p.nextToken() != null) {
        throw new JsonlReader.BadLine("unexpected data after the JSON object");
      }
      if (id == null) {
        throw new JsonlReader.BadLine("missing field \"id\"");
      }
      if (id.isBlank()) {
        throw new JsonlReader.BadLine("field \"id\" is empty");
      }
      if (contents == null) {
        if (text == null) {
          throw new JsonlReader.BadLine("missing field \"contents\"");
        }
        contents = Passage.contents(title == null ? "" : title, text);
      }
      return new Passage(id, contents);
    } catch (JsonProcessingException e) {
      throw new JsonlReader.BadLine(
          "invalid JSON: "
              + e.getOriginalMessage()
              + " (column "
              + e.getLocation().getColumnNr()
              + ")");
    } catch (IOException e) {
      throw new JsonlReader.BadLine("unreadable line: " + e.getMessage());
    }
  }

  private static String idText(JsonParser p, JsonToken value)
      throws IOException, JsonlReader.BadLine {
    if (value == JsonToken.VALUE_STRING || value == JsonToken.VALUE_NUMBER_INT) {
      return p.getText();
    }
    throw new JsonlReader.BadLine(
        "field \"id\" must be a string or an integer, got " + describe(p));
  }

  private static String stringField(JsonParser p, JsonToken value, String name)
      throws IOException, JsonlReader.BadLine {
    if (value != JsonToken.VALUE_STRING) {
      throw new JsonlReader.BadLine("field \"" + name + "\" must be a string, got " + describe(p));
    }
    return p.getText();
  }

  private static String describe(JsonParser p) {
    JsonToken t = p.currentToken();
    if (t == null) {
      return "nothing";
    }
    return switch (t) {
      case START_OBJECT -> "an object";
      case START_ARRAY -> "an array";
      case VALUE_STRING -> "a string";
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
      case VALUE_TRUE, VALUE_FALSE -> "a boolean";
      case VALUE_NULL -> "null";
      default -> t.toString();
    };
  }
}
