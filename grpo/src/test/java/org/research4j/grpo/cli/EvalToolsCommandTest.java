package org.research4j.grpo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.research4j.search.cli.SearchMain;
import org.research4j.search.index.BuildListener;
import org.research4j.search.index.Index;
import org.research4j.search.index.IndexOptions;
import picocli.CommandLine;

/**
 * {@code research eval --tools search,code --out FILE}: every response line and every summary line
 * of the agent gives its calls per tool, and they add up to its retrievals (the calls of all
 * tools); the baselines' calls are all searches.
 */
class EvalToolsCommandTest {

  @Test
  void theEvalJsonlCountsCallsPerTool(@TempDir Path dir) throws IOException {
    Path corpus = dir.resolve("corpus.jsonl");
    Files.writeString(
        corpus,
        """
        {"id": "0", "contents": "\\"Kesto\\"\\nKesto was founded in 1871."}
        {"id": "1", "contents": "\\"Oru\\"\\nOru was founded in 1936."}
        """);
    Index.build(corpus, dir.resolve("index"), IndexOptions.defaults(), BuildListener.NONE);
    Path qa = dir.resolve("dev.jsonl");
    Files.writeString(
        qa,
        """
        {"id": "a", "question": "When was Kesto founded?", "golden_answers": ["1871"]}
        {"id": "b", "question": "When was Oru founded?", "golden_answers": ["1936"]}
        """);
    Path model = TinyCheckpoint.write(dir, corpus);
    Path out = dir.resolve("eval.jsonl");
    CommandLine cl = new CommandLine(new ResearchCli());
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err, true));
    cl.setOut(new PrintWriter(new StringWriter(), true));
    int code =
        SearchMain.execute(
            cl,
            "eval",
            "--device",
            "cpu",
            "--model",
            model.toString(),
            "--index",
            dir.resolve("index").toString(),
            "--qa",
            qa.toString(),
            "--tools",
            "search,code",
            "--methods",
            "research,naive-rag",
            "--max-new-tokens",
            "16",
            "--topk",
            "1",
            "--out",
            out.toString());
    assertEquals(0, code, err.toString());
    ObjectMapper json = new ObjectMapper();
    int agentLines = 0;
    for (String l : Files.readAllLines(out)) {
      JsonNode n = json.readTree(l);
      JsonNode calls = n.get("calls");
      assertTrue(calls != null, l);
      if (n.get("method").asText().equals("research")) {
        agentLines++;
        assertEquals(List.of("search", "code"), List.copyOf(iterable(calls)), l);
        assertEquals(
            n.get("retrievals").asDouble(),
            calls.get("search").asDouble() + calls.get("code").asDouble(),
            1e-12,
            l);
      } else {
        assertEquals(List.of("search"), List.copyOf(iterable(calls)), l);
        assertEquals(n.get("retrievals").asDouble(), calls.get("search").asDouble(), 1e-12, l);
      }
    }
    assertEquals(2 + 2, agentLines, "two responses, one type (none), the all summary");
  }

  private static List<String> iterable(JsonNode node) {
    List<String> names = new java.util.ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
