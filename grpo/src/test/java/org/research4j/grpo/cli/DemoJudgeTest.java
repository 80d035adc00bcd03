package org.research4j.grpo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.research4j.grpo.judge.JudgeConfig;
import org.research4j.grpo.judge.LlmJudge;
import org.research4j.grpo.report.DemoSummary;
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.grpo.serve.ModelServer;
import org.research4j.grpo.serve.ServeConfig;
import org.research4j.kernels.cpu.CpuKernels;
import org.research4j.search.cli.SearchMain;
import org.research4j.tensor.Parameter;
import org.research4j.transformer.checkpoint.Qwen2Config;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.tokenizer.BpeTrainer;
import org.research4j.transformer.tokenizer.ChatMessage;
import org.research4j.transformer.tokenizer.ChatTemplate;
import org.research4j.transformer.tokenizer.Tokenizer;
import picocli.CommandLine;

/**
 * {@code research demo --judge-url}: the toy demo judged by this project's serve-model serving a
 * model built to answer every chat "Yes" (a bigram chain: the generation prompt's last token, then
 * "Yes", then end of turn; every layer zero, so nothing else in the prompt counts). Every answer is
 * then judged correct: LJ is 1 for every method and question type, in summary.json and in the
 * printed table, and the judge counts 8 methods x 4 questions verdicts, none unparseable. Without
 * the judge's model name the demo stops before it trains anything.
 */
class DemoJudgeTest {
  private static final CpuKernels CPU = new CpuKernels();

  private record Run(int code, String err) {}

  /** Runs the toy demo; {@code err} is picocli's error stream and the demo's log (System.err). */
  private static Run demo(Path out, String... extra) {
    StringWriter err = new StringWriter();
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream stderr = System.err;
    System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
    try {
      CommandLine cl = new CommandLine(new ResearchCli());
      cl.setErr(new PrintWriter(err, true));
      List<String> args = new ArrayList<>(List.of("demo", "--out", out.toString()));
      args.addAll(Arrays.asList(DemoCommandTest.TOY));
      args.addAll(Arrays.asList(extra));
      int code = SearchMain.execute(cl, args.toArray(String[]::new));
      return new Run(code, err + log.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(stderr);
    }
  }

  /**
   * A 1-layer model whose every projection is zero, so that each position's logits depend on its
   * own token alone: the last token of a chatml generation prompt is followed by the tokens of
   * "Yes", and those by {@code <|im_end|>}.
   */
  static Qwen2Model yesSayer(Tokenizer tok, ChatTemplate chat) {
    int[] prompt = tok.encode(chat.render(List.of(ChatMessage.user("Is it?")), true));
    int[] yes = tok.encode("Yes");
    int eos = tok.idOf("<|im_end|>");
    int[] chain = new int[yes.length + 2];
    chain[0] = prompt[prompt.length - 1];
    System.arraycopy(yes, 0, chain, 1, yes.length);
    chain[chain.length - 1] = eos;
    assertEquals(
        chain.length,
        Arrays.stream(chain).distinct().count(),
        "distinct chain tokens " + Arrays.toString(chain));
    int d = 32;
    Qwen2Config cfg =
        new Qwen2Config(
            tok.vocabSize(),
            d,
            64,
            1,
            2,
            1,
            16,
            8192,
            1e6,
            1e-6,
            false,
            null,
            List.of(eos),
            "float32",
            0.02);
    Qwen2Model m = Qwen2Model.random(CPU, cfg, 1);
    for (Parameter p : m.parameters()) {
      float[] v = new float[p.numel()];
      if (p.name().endsWith("norm.weight")) Arrays.fill(v, 1f);
      if (p.name().equals("model.embed_tokens.weight")) {
        for (int i = 0; i + 1 < chain.length; i++) v[chain[i] * d + i] = 1f;
      }
      if (p.name().equals("lm_head.weight")) {
        for (int i = 0; i + 1 < chain.length; i++) v[chain[i + 1] * d + i] = 4f;
      }
      p.copyFrom(v);
    }
    return m;
  }

  @Test
  void everyMethodsLjScoreIsInTheSummaryAndTheTable(@TempDir Path dir) throws Exception {
    Tokenizer tok =
        BpeTrainer.research(300)
            .train(
                List.of(
                    "Yes, it is. No, it is not.", "<|im_start|>user <|im_end|> assistant system"));
    ChatTemplate chat = ChatTemplate.chatml(null);
    try (Qwen2Model yes = yesSayer(tok, chat);
        ModelServer judge =
            ModelServer.start(
                yes,
                tok,
                Set.of(tok.idOf("<|im_end|>")),
                chat,
                PromptTemplate.bare(),
                null,
                ServeConfig.defaults("yes-sayer"))) {
      String url = judge.url() + "/v1";
      try (LlmJudge probe = new LlmJudge(JudgeConfig.of(url, "yes-sayer", null))) {
        LlmJudge.Verdict v =
            probe.judge(new LlmJudge.Item("Who founded Kesto?", List.of("Varemo"), "Dask"));
        assertEquals("Yes", v.reply(), "the served model says yes to anything");
      }
      Path out = dir.resolve("demo");
      Run r =
          demo(out, "--judge-url", url, "--judge-model", "yes-sayer", "--judge-concurrency", "4");
      assertEquals(0, r.code(), r.err());

      DemoSummary.Data s = DemoSummary.read(out.resolve(DemoSummary.FILE));
      assertEquals(8, s.methods().size(), s.methods().keySet().toString());
      for (var e : s.methods().entrySet()) {
        assertEquals(1.0, e.getValue().all().lj(), e.getKey());
        assertFalse(e.getValue().byType().isEmpty());
        e.getValue()
            .byType()
            .forEach((type, scores) -> assertEquals(1.0, scores.lj(), e.getKey() + " " + type));
      }
      assertTrue(s.wallSeconds().get(DemoSummary.JUDGE) >= 0, "the judge's time is its own stage");

      List<String> lines = r.err().lines().toList();
      int header =
          lines.indexOf(
              lines.stream()
                  .filter(l -> l.matches("method\\s+EM\\s+LJ\\s+LJ .*"))
                  .findFirst()
                  .orElseThrow(() -> new AssertionError("no LJ table in\n" + r.err())));
      String firstType = s.methods().get("ReSearch, GRPO").byType().keySet().iterator().next();
      assertTrue(lines.get(header).contains("LJ " + firstType), lines.get(header));
      for (String method : s.methods().keySet()) {
        String row =
            lines.subList(header + 1, header + 1 + s.methods().size()).stream()
                .filter(l -> l.startsWith(method + " "))
                .findFirst()
                .orElseThrow(() -> new AssertionError(method));
        String[] cells = row.substring(22).trim().split("\\s+");
        assertEquals(String.format("%.3f", s.methods().get(method).all().em()), cells[0], row);
        for (int i = 1; i < cells.length; i++) assertEquals("1.000", cells[i], row);
        assertEquals(1 + 1 + s.methods().get(method).byType().size(), cells.length, row);
      }
      assertTrue(
          r.err()
              .contains(
                  "LLM judge yes-sayer: 32 verdicts, 0 unparseable (neither yes nor no), 0 failed"),
          r.err());
    }
  }

  @Test
  void aJudgeWithoutItsModelNameStopsTheDemoBeforeItStarts(@TempDir Path dir) {
    Path out = dir.resolve("demo");
    Run r = demo(out, "--judge-url", "http://127.0.0.1:9/v1");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("--judge-url needs --judge-model"), r.err());
    assertFalse(Files.exists(out), "nothing was generated or trained");
  }
}
