package org.research4j.search.flashrag;

import java.util.Objects;

/**
 * One retrievable unit of a FlashRAG corpus. {@code contents} is kept exactly as read so that the
 * server returns what the corpus holds; the title and body are derived from it on demand.
 *
 * <p>FlashRAG puts the title, in double quotes, on the first line of contents. A contents with no
 * line break is taken as a body without title, which is how title-less corpora read.
 */
public record Passage(String id, String contents) {

  public Passage {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(contents, "contents");
  }

  /** Builds FlashRAG contents from a title and a body. */
  public static Passage of(String id, String title, String text) {
    return new Passage(id, contents(title, text));
  }

  /** The FlashRAG contents string for a title and body: {@code "Title"\ntext}. */
  public static String contents(String title, String text) {
    return '"' + title + "\"\n" + text;
  }

  /** The title without its quotes, or "" when the contents has no title line. */
  public String title() {
    return titleOf(contents);
  }

  /** The body: everything after the title line. */
  public String text() {
    return textOf(contents);
  }

  /** The title of a FlashRAG contents string, as {@link #title()} reads it. */
  public static String titleOf(String contents) {
    int nl = contents.indexOf('\n');
    if (nl < 0) {
      return "";
    }
    String first = contents.substring(0, nl).strip();
    if (first.length() >= 2 && first.charAt(0) == '"' && first.charAt(first.length() - 1) == '"') {
      return first.substring(1, first.length() - 1);
    }
    return first;
  }

  /** The body of a FlashRAG contents string, as {@link #text()} reads it. */
  public static String textOf(String contents) {
    int nl = contents.indexOf('\n');
    return nl < 0 ? contents : contents.substring(nl + 1);
  }
}
