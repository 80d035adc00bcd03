package org.research4j.grpo.serve;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The page {@code GET /} serves: one self-contained HTML file (no external script, style or font)
 * where a person types a question and watches the agent's turns arrive as the server streams them
 * ({@code POST /v1/chat/completions}, {@code stream: true}, the agent model): each think, search
 * query, retrieved passages (folded) and the answer, then the answer and searches summarised.
 * {@code /?q=QUESTION} asks at once. With a run directory ({@link RunCharts}) a folded section
 * links its charts, each shown small and opened full size in a new tab.
 */
final class AskPage {
  private AskPage() {}

  /**
   * The page; {@code charts} are paths under {@link RunCharts#PREFIX} (none: no charts section).
   */
  static byte[] html(String modelName, boolean agent, List<String> charts) {
    String model = agent ? modelName + ServeConfig.AGENT_SUFFIX : modelName;
    return PAGE.replace("@MODEL@", escapeJs(model))
        .replace("@TITLE@", escapeHtml(modelName))
        .replace("@CHARTS@", charts(charts))
        .getBytes(StandardCharsets.UTF_8);
  }

  private static String charts(List<String> charts) {
    if (charts.isEmpty()) return "";
    StringBuilder b =
        new StringBuilder("<details id=\"charts\"><summary>Charts of the run (")
            .append(charts.size())
            .append(")</summary>\n");
    for (String c : charts) {
      String url = escapeHtml(RunCharts.PREFIX + c);
      b.append("<figure><a href=\"")
          .append(url)
          .append("\" target=\"_blank\"><img src=\"")
          .append(url)
          .append("\" alt=\"")
          .append(escapeHtml(c))
          .append("\" loading=\"lazy\"></a><figcaption>")
          .append(escapeHtml(c))
          .append("</figcaption></figure>\n");
    }
    return b.append("</details>").toString();
  }

  private static String escapeHtml(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }

  private static String escapeJs(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c == '\'') {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  private static final String PAGE =
      """
      <!doctype html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>research4j: @TITLE@</title>
      <style>
        body { font: 15px/1.45 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
        h1 { font-size: 1.3rem; }
        form { display: flex; gap: .5rem; }
        #question { flex: 1; font: inherit; padding: .4rem .6rem; }
        button { font: inherit; padding: .4rem 1rem; }
        .turn { margin: .6rem 0; padding: .5rem .7rem; border-left: 4px solid #bbb; background: #f7f7f7; white-space: pre-wrap; }
        .turn .kind { font-size: .75rem; text-transform: uppercase; letter-spacing: .05em; color: #666; display: block; }
        .think { border-color: #8a8; } .search { border-color: #58c; } .result { border-color: #aaa; }
        .answer { border-color: #c73; background: #fff4e8; font-weight: 600; }
        details summary { cursor: pointer; color: #555; }
        #summary { margin-top: 1rem; padding: .6rem .8rem; background: #eef3ff; display: none; }
        #status { color: #777; font-size: .85rem; min-height: 1.2em; }
        #charts { margin-top: 1.5rem; } #charts figure { display: inline-block; vertical-align: top; margin: .5rem; }
        #charts img { width: 24rem; max-width: 100%; border: 1px solid #ddd; }
        #charts figcaption { font-size: .8rem; color: #555; }
      </style>
      </head>
      <body>
      <h1>Ask the search agent (@TITLE@)</h1>
      <form id="ask">
        <input id="question" name="question" autocomplete="off" placeholder="Type a question" required>
        <button id="go" type="submit">Ask</button>
      </form>
      <div id="status"></div>
      <div id="turns"></div>
      <div id="summary"></div>
      @CHARTS@
      <script>
      "use strict";
      const MODEL = "@MODEL@";
      const TAGS = ["think", "search", "result", "answer"];

      function turnsOf(text) {
        const out = [];
        let at = 0;
        const open = /<(think|search|result|answer)>/g;
        while (at < text.length) {
          open.lastIndex = at;
          const m = open.exec(text);
          if (!m) break;
          const between = text.slice(at, m.index).trim();
          if (between) out.push({kind: "text", text: between, closed: true});
          const close = "</" + m[1] + ">";
          const end = text.indexOf(close, open.lastIndex);
          if (end < 0) { out.push({kind: m[1], text: text.slice(open.lastIndex).trim(), closed: false}); return out; }
          out.push({kind: m[1], text: text.slice(open.lastIndex, end).trim(), closed: true});
          at = end + close.length;
        }
        const rest = text.slice(at).trim();
        if (rest && !/^<\\/?[a-z]*$/.test(rest)) out.push({kind: "text", text: rest, closed: true});
        return out;
      }

      function render(text) {
        const box = document.getElementById("turns");
        box.textContent = "";
        for (const t of turnsOf(text)) {
          const div = document.createElement("div");
          div.className = "turn " + t.kind;
          const label = document.createElement("span");
          label.className = "kind";
          label.textContent = t.kind === "search" ? "search query" : t.kind;
          div.appendChild(label);
          if (t.kind === "result") {
            const d = document.createElement("details");
            const s = document.createElement("summary");
            const first = t.text.split("\\n")[0];
            s.textContent = first.length > 90 ? first.slice(0, 90) + "…" : first;
            d.appendChild(s);
            d.appendChild(document.createTextNode(t.text));
            div.appendChild(d);
          } else {
            div.appendChild(document.createTextNode(t.text));
          }
          box.appendChild(div);
        }
      }

      function summarise(research, finish) {
        const s = document.getElementById("summary");
        s.style.display = "block";
        s.textContent = "";
        const a = document.createElement("div");
        a.id = "final-answer";
        a.textContent = "Answer: " + (research && research.answer != null ? research.answer : "(none)");
        s.appendChild(a);
        const q = document.createElement("div");
        const searches = research ? research.searches : [];
        q.textContent = searches.length + " search" + (searches.length === 1 ? "" : "es")
          + (searches.length ? ": " + searches.map(x => "\\u201c" + x + "\\u201d").join(", ") : "")
          + (finish === "length" ? " (cut off: the response budget ran out)" : "");
        s.appendChild(q);
      }

      async function ask(question) {
        const status = document.getElementById("status");
        document.getElementById("summary").style.display = "none";
        document.getElementById("go").disabled = true;
        status.textContent = "thinking…";
        let text = "";
        try {
          const resp = await fetch("/v1/chat/completions", {
            method: "POST", headers: {"Content-Type": "application/json"},
            body: JSON.stringify({model: MODEL, stream: true, temperature: 0,
              messages: [{role: "user", content: question}]})});
          if (!resp.ok) {
            const err = await resp.json().catch(() => null);
            status.textContent = "error " + resp.status + ": " + (err && err.error ? err.error.message : resp.statusText);
            return;
          }
          const reader = resp.body.getReader();
          const decoder = new TextDecoder();
          let buffer = "";
          for (;;) {
            const {done, value} = await reader.read();
            if (done) break;
            buffer += decoder.decode(value, {stream: true});
            let cut;
            while ((cut = buffer.indexOf("\\n\\n")) >= 0) {
              const line = buffer.slice(0, cut).trim();
              buffer = buffer.slice(cut + 2);
              if (!line.startsWith("data: ")) continue;
              const data = line.slice(6);
              if (data === "[DONE]") { status.textContent = "done"; continue; }
              const chunk = JSON.parse(data);
              if (chunk.error) { status.textContent = "error: " + chunk.error.message; continue; }
              const c = chunk.choices[0];
              if (c.delta && c.delta.content) { text += c.delta.content; render(text); }
              if (c.finish_reason) { render(text); summarise(c.research, c.finish_reason); }
            }
          }
        } catch (e) {
          status.textContent = "error: " + e;
        } finally {
          document.getElementById("go").disabled = false;
        }
      }

      document.getElementById("ask").addEventListener("submit", ev => {
        ev.preventDefault();
        ask(document.getElementById("question").value);
      });
      const preset = new URLSearchParams(location.search).get("q");
      if (preset) { document.getElementById("question").value = preset; ask(preset); }
      </script>
      </body>
      </html>
      """;
}
