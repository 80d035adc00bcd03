package org.research4j.grpo.serve;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.grpo.run.TrainingListener;
import org.research4j.grpo.sft.SearchTraces;
import org.research4j.grpo.sft.SftConfig;
import org.research4j.grpo.sft.SftExample;
import org.research4j.grpo.sft.SftTrainer;
import org.research4j.grpo.tool.Tool;
import org.research4j.kernels.Kernels;
import org.research4j.kernels.cpu.CpuKernels;
import org.research4j.search.flashrag.QaExample;
import org.research4j.transformer.checkpoint.CheckpointWriter;
import org.research4j.transformer.checkpoint.Qwen2Config;
import org.research4j.transformer.generate.Generator;
import org.research4j.transformer.generate.SamplingConfig;
import org.research4j.transformer.generate.Session;
import org.research4j.transformer.generate.StopReason;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.tokenizer.BpeTrainer;
import org.research4j.transformer.tokenizer.Tokenizer;

/**
 * Models for the serving tests, built once per test JVM: a tiny random model (1,024 positions, so a
 * stream can run long enough to be cut), and a tiny model taught one search trace, which rolls out
 * that trace greedily (question {@link #QUESTION}, search "Kesto", answer "Varemo") with the {@link
 * Passages} tool.
 */
final class ServeFixtures {
  private ServeFixtures() {}

  static final Kernels CPU = new CpuKernels();
  static final String QUESTION = "What is the capital of Kesto?";

  /** The trace the taught model writes for {@link #QUESTION} with the {@link Passages} tool. */
  static final String TRACE =
      "<think>Kesto</think><search>Kesto</search><result>\nthe capital of Kesto"
          + " is Varemo\n</result><think> Varemo</think><answer>\\boxed{ Varemo}</answer>";

  /** Answers every query with one fixed sentence about it. */
  static final class Passages implements Tool {
    final List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());

    public String callOpen() {
      return "<search>";
    }

    public String callClose() {
      return "</search>";
    }

    public String resultOpen() {
      return "<result>";
    }

    public String resultClose() {
      return "</result>";
    }

    public List<String> call(List<String> inputs) {
      calls.addAll(inputs);
      return inputs.stream().map(q -> "\nthe capital of " + q.strip() + " is Varemo\n").toList();
    }
  }

  /** A checkpoint directory and what was loaded from it. */
  record Loaded(Path dir, Qwen2Model model, Tokenizer tokenizer, int eos) {}

  private static Loaded random;
  private static Loaded taught;

  static synchronized Loaded random() {
    if (random == null) {
      try {
        Path dir = Files.createTempDirectory("serve-random");
        Tokenizer tok =
            BpeTrainer.research(300)
                .train(
                    List.of(
                        "Kesto is a city in Oru. Varemo founded it. Oru is a country; its capital is Dask.",
                        "<|im_start|>user <|im_end|> assistant system"));
        int eos = tok.idOf("<|im_end|>");
        Qwen2Config cfg =
            Qwen2Config.of(tok.vocabSize(), 32, 64, 1, 2, 1, 1024).withTokenIds(null, List.of(eos));
        random = save(dir, Qwen2Model.random(CPU, cfg, 7), tok, eos);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return random;
  }

  static synchronized Loaded taught() {
    if (taught == null) {
      try {
        Path dir = Files.createTempDirectory("serve-taught");
        Tokenizer tok =
            BpeTrainer.research(320)
                .train(
                    List.of(
                        "What is the capital of Kesto? Where is Kesto? the capital of Kesto is Varemo",
                        "<|im_start|>user <|im_end|> assistant"));
        int eos = tok.idOf("<|im_end|>");
        QaExample q =
            new QaExample(
                "q0",
                QUESTION,
                List.of("Varemo"),
                Map.of("hops", List.of(Map.of("question", "Kesto", "answer", "Varemo"))));
        SftExample trace =
            SearchTraces.build(List.of(q), new Passages(), PromptTemplate.bare(), tok, eos)
                .getFirst();
        Qwen2Config cfg =
            Qwen2Config.of(tok.vocabSize(), 48, 96, 2, 2, 1, 128).withTokenIds(null, List.of(eos));
        SftConfig sft =
            SftConfig.defaults()
                .withSteps(150)
                .withBatch(4, trace.length())
                .withOptimizer(1e-2f, 10, 0f, 1f)
                .withMinLrFraction(0.1f)
                .withRun(5, 1000, 0);
        SftTrainer trainer =
            new SftTrainer(
                CPU,
                sft,
                dir.resolve("sft"),
                CheckpointWriter.Options.defaults(),
                0,
                TrainingListener.NONE);
        Qwen2Model model =
            trainer.run(() -> Qwen2Model.random(CPU, cfg, 5), List.of(trace), List.of()).model();
        taught = save(dir.resolve("model"), model, tok, eos);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return taught;
  }

  private static Loaded save(Path dir, Qwen2Model model, Tokenizer tok, int eos)
      throws IOException {
    Files.createDirectories(dir);
    tok.save(dir.resolve("tokenizer.json"));
    model.save(
        dir, CheckpointWriter.Options.defaults().withTokenizerFile(dir.resolve("tokenizer.json")));
    return new Loaded(dir, model, tok, eos);
  }

  /** Greedy text of {@code model} after {@code prompt}, at most {@code maxTokens}, EOS left out. */
  static String greedy(Loaded m, String prompt, int maxTokens) {
    int[] ids = m.tokenizer().encode(prompt);
    try (Session s =
        new Generator(m.model(), m.tokenizer()::decode)
            .start(
                List.of(ids),
                SamplingConfig.greedy().withStopTokenIds(Set.of(m.eos())),
                ids.length + maxTokens)) {
      s.run(maxTokens);
      int[] all = s.tokens(0);
      int end = s.stop(0).reason() == StopReason.EOS ? all.length - 1 : all.length;
      return m.tokenizer().decode(Arrays.copyOfRange(all, ids.length, end));
    }
  }

  static final HttpClient HTTP = HttpClient.newHttpClient();

  static HttpResponse<String> post(String url, String body)
      throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(url)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
