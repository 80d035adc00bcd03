package org.research4j.grpo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
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
 * {@code research eval --judge-url}: a local judge that says yes to the questions about Kesto and
 * no to the rest gives LJ 0.5 on two questions, in the table's LJ column and the JSONL; without a
 * judge the column is absent; with {@code --tools search,code} the column and the calls per tool
 * are both there; a judge URL without a model is named.
 */
class EvalJudgeTest {
  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new ResearchCli());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return new Run(SearchMain.execute(cl, args), out.toString(), err.toString());
  }

  private static List<String> iterable(java.util.Iterator<String> it) {
    List<String> out = new java.util.ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }

  @Test
  void addsTheLjColumnWhenAJudgeIsConfigured(@TempDir Path dir) throws Exception {
    Path corpus = dir.resolve("corpus.jsonl");
    Files.writeString(
        corpus,
        """
        {"id": "0", "contents": "\\"Kesto\\"\\nKesto is a city in Oru. Varemo founded it."}
        {"id": "1", "contents": "\\"Oru\\"\\nOru is a country. Its capital is Dask."}
        """);
    Index.build(corpus, dir.resolve("index"), IndexOptions.defaults(), BuildListener.NONE);
    Path qa = dir.resolve("qa.jsonl");
    Files.writeString(
        qa,
        """
        {"id": "a", "question": "Who founded Kesto?", "golden_answers": ["Varemo"]}
        {"id": "b", "question": "What is the capital of Oru?", "golden_answers": ["Dask"]}
        """);
    Path model = TinyCheckpoint.write(dir, corpus);
    HttpServer judge = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    judge.createContext(
        "/v1/chat/completions",
        ex -> {
          JsonNode body = new ObjectMapper().readTree(ex.getRequestBody());
          String prompt = body.get("messages").get(1).get("content").asText();
          String verdict = prompt.contains("Question: Who founded Kesto?") ? "Yes" : "No";
          byte[] b =
              ("{\"choices\": [{\"message\": {\"role\": \"assistant\", \"content\": \""
                      + verdict
                      + "\"}}]}")
                  .getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, b.length);
          try (OutputStream o = ex.getResponseBody()) {
            o.write(b);
          }
        });
    judge.start();
    try {
      String url = "http://127.0.0.1:" + judge.getAddress().getPort() + "/v1";
      Path out = dir.resolve("eval.jsonl");
      Run r =
          run(
              "eval",
              "--device",
              "cpu",
              "--model",
              model.toString(),
              "--index",
              dir.resolve("index").toString(),
              "--qa",
              qa.toString(),
              "--methods",
              "research,naive-gen",
              "--max-new-tokens",
              "8",
              "--topk",
              "1",
              "--judge-url",
              url,
              "--judge-model",
              "grader",
              "--out",
              out.toString());
      assertEquals(0, r.code(), r.err());
      List<String> lines = r.out().lines().toList();
      assertEquals(
          List.of("method", "type", "n", "EM", "F1", "LJ", "format"),
          List.of(lines.getFirst().trim().split("\\s+")).subList(0, 7));
      for (String method : List.of("research", "naive-gen")) {
        String all =
            lines.stream()
                .filter(l -> l.startsWith(method + " ") && l.contains(" all "))
                .findFirst()
                .orElseThrow();
        assertEquals("0.500", all.trim().split("\\s+")[5], all);
      }
      assertTrue(r.out().contains("LLM judge grader: 4 verdicts, 0 unparseable"), r.out());
      List<JsonNode> rows =
          Files.readAllLines(out).stream()
              .map(
                  l -> {
                    try {
                      return new ObjectMapper().readTree(l);
                    } catch (Exception e) {
                      throw new IllegalStateException(e);
                    }
                  })
              .toList();
      JsonNode first = rows.getFirst();
      assertEquals("a", first.get("id").asText());
      assertEquals(1, first.get("lj").asInt());
      assertEquals("yes", first.get("lj_verdict").asText());
      assertEquals(
          0.5,
          rows.stream()
              .filter(n -> n.has("summary") && n.get("type").asText().equals("all"))
              .findFirst()
              .orElseThrow()
              .get("lj")
              .asDouble(),
          1e-12);

      // The judge with more tools than search: the LJ column, and calls per tool, both present.
      Path toolsOut = dir.resolve("eval-tools.jsonl");
      Run tools =
          run(
              "eval",
              "--device",
              "cpu",
              "--model",
              model.toString(),
              "--index",
              dir.resolve("index").toString(),
              "--qa",
              qa.toString(),
              "--methods",
              "research",
              "--max-new-tokens",
              "8",
              "--topk",
              "1",
              "--tools",
              "search,code",
              "--prompt",
              "instructed",
              "--judge-url",
              url,
              "--judge-model",
              "grader",
              "--out",
              toolsOut.toString());
      assertEquals(0, tools.code(), tools.err());
      String toolsAll =
          tools
              .out()
              .lines()
              .filter(l -> l.startsWith("research ") && l.contains(" all "))
              .findFirst()
              .orElseThrow();
      assertEquals("0.500", toolsAll.trim().split("\\s+")[5], toolsAll);
      assertTrue(tools.out().contains("LLM judge grader: 2 verdicts"), tools.out());
      JsonNode toolsSummary =
          new ObjectMapper()
              .readTree(
                  Files.readAllLines(toolsOut).stream()
                      .filter(l -> l.contains("\"summary\"") && l.contains("\"type\":\"all\""))
                      .findFirst()
                      .orElseThrow());
      assertEquals(0.5, toolsSummary.get("lj").asDouble(), 1e-12);
      assertEquals(
          List.of("search", "code"), List.copyOf(iterable(toolsSummary.get("calls").fieldNames())));

      Run plain =
          run(
              "eval",
              "--device",
              "cpu",
              "--model",
              model.toString(),
              "--index",
              dir.resolve("index").toString(),
              "--qa",
              qa.toString(),
              "--methods",
              "naive-gen",
              "--max-new-tokens",
              "4");
      assertEquals(
          List.of("method", "type", "n", "EM", "F1", "format"),
          List.of(plain.out().lines().findFirst().orElseThrow().trim().split("\\s+"))
              .subList(0, 6));
      Run noModel =
          run(
              "eval",
              "--model",
              model.toString(),
              "--index",
              dir.toString(),
              "--qa",
              qa.toString(),
              "--judge-url",
              url);
      assertEquals(2, noModel.code());
      assertTrue(noModel.err().contains("--judge-url needs --judge-model"), noModel.err());
    } finally {
      judge.stop(0);
    }
  }
}
