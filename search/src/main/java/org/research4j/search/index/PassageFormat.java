package org.research4j.search.index;

import java.util.List;

/** How retrieved passages are written into a prompt, after the field's two reference agents. */
public enum PassageFormat {
  /** ReSearch's rollout: each passage's FlashRAG contents, separated by blank lines. */
  RESEARCH {
    @Override
    public String format(List<Hit> hits) {
      StringBuilder out = new StringBuilder();
      for (Hit h : hits) {
        if (!out.isEmpty()) {
          out.append("\n\n");
        }
        out.append(h.contents());
      }
      return out.toString();
    }
  },
  /** Search-R1's {@code _passages2string}: {@code Doc 1(Title: T) text}, one per line. */
  SEARCH_R1 {
    @Override
    public String format(List<Hit> hits) {
      StringBuilder out = new StringBuilder();
      for (int i = 0; i < hits.size(); i++) {
        Hit h = hits.get(i);
        out.append("Doc ")
            .append(i + 1)
            .append("(Title: ")
            .append(h.title())
            .append(") ")
            .append(h.text())
            .append('\n');
      }
      return out.toString();
    }
  };

  public abstract String format(List<Hit> hits);
}
