package org.research4j.grpo.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.research4j.grpo.sft.SftConfig;
import org.research4j.grpo.sft.SftExample;
import org.research4j.grpo.sft.SftTrainer;
import org.research4j.kernels.Kernels;
import org.research4j.kernels.Devices;
import org.research4j.search.flashrag.CorpusFormat;
import org.research4j.search.flashrag.JsonlReader;
import org.research4j.search.flashrag.OnMalformed;
import org.research4j.search.flashrag.Passage;
import org.research4j.search.index.BuildListener;
import org.research4j.search.index.Hit;
import org.research4j.search.index.Index;
import org.research4j.search.index.IndexOptions;
import org.research4j.search.index.Searcher;
import org.research4j.search.world.WorldConfig;
import org.research4j.search.world.WorldGenerator;
import org.research4j.transformer.checkpoint.CheckpointWriter;
import org.research4j.transformer.checkpoint.Qwen2Config;
import org.research4j.transformer.generate.Generator;
import org.research4j.transformer.generate.SamplingConfig;
import org.research4j.transformer.generate.Session;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.tokenizer.BpeTrainer;
import org.research4j.transformer.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The embedded default, end to end on a laptop: generate the world, index it, train a tokenizer
 * and a small Qwen2 model from scratch on it, and show what was learned. Every stage writes its
 * output under {@code --out} and is skipped when that output already exists, so a killed demo
 * picks up where it stopped (training resumes from its last checkpoint).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Generate the world, index it, and train a small Qwen2 model on it from scratch.")
public final class DemoCommand implements Callable<Integer> {

  @Option(names = "--out", defaultValue = "runs/demo", description = "Run directory (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--seed", defaultValue = "42", description = "World and training seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--steps", defaultValue = "300", description = "Training steps (default: ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--batch", defaultValue = "16", description = "Sequences per step (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--seq-len", defaultValue = "128", description = "Tokens per sequence (default: ${DEFAULT-VALUE}).")
  int seqLen;

  @Option(names = "--vocab", defaultValue = "2048", description = "BPE vocabulary size (default: ${DEFAULT-VALUE}).")
  int vocab;

  @Option(names = "--learning-rate", defaultValue = "3e-3", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
  float learningRate;

  @Option(names = "--device", description = "auto (default), cpu, opencl, opencl:gpu, pocl or opencl:P:D;"
      + " the environment variable RESEARCH4J_DEVICE sets the default.")
  String device;

  private final PrintStream log = System.err;

  @Override
  public Integer call() throws Exception {
    Kernels kernels = Devices.open(device);
    Path worldDir = out.resolve("world");
    if (!Files.exists(worldDir.resolve(WorldGenerator.SUMMARY))) {
      log.println("generating the world (seed " + seed + ") into " + worldDir);
      WorldGenerator.generate(WorldConfig.defaults().withSeed(seed), worldDir, n -> {});
    }
    Path corpus = worldDir.resolve(WorldGenerator.CORPUS);
    Path indexDir = out.resolve("index");
    if (!isIndex(indexDir)) {
      log.println("indexing " + corpus + " with Lucene BM25");
      Index.build(corpus, indexDir, IndexOptions.defaults(), BuildListener.NONE);
    }
    List<Passage> passages = new ArrayList<>();
    try (JsonlReader<Passage> r = CorpusFormat.reader(corpus, OnMalformed.FAIL)) {
      for (Passage p; (p = r.next()) != null; ) passages.add(p);
    }
    showSearch(indexDir, passages);

    Path tokFile = out.resolve("tokenizer.json");
    Tokenizer tok;
    if (Files.exists(tokFile)) {
      tok = Tokenizer.load(tokFile);
    } else {
      log.printf("training a %d-token byte-level BPE on %d passages%n", vocab, passages.size());
      List<String> texts = new ArrayList<>();
      for (Passage p : passages) texts.add(p.contents());
      tok = BpeTrainer.research(vocab).train(texts);
      tok.save(tokFile);
    }

    int eos = tok.idOf("<|endoftext|>");
    List<SftExample> train = new ArrayList<>();
    List<SftExample> dev = new ArrayList<>();
    for (int i = 0; i < passages.size(); i++) {
      int[] body = tok.encode(passages.get(i).contents());
      int[] tokens = new int[body.length + 1];
      tokens[0] = eos;
      System.arraycopy(body, 0, tokens, 1, body.length);
      (i % 20 == 0 ? dev : train).add(SftExample.allTrained(tokens));
    }
    Qwen2Config config = Qwen2Config.of(tok.vocabSize(), 128, 352, 4, 4, 2, Math.max(256, seqLen))
        .withTokenIds(null, List.of(eos));
    SftConfig sft = new SftConfig(steps, batch, seqLen, learningRate, Math.max(1, steps / 15), 0.1f,
        0.1f, 1.0f, seed, 100, 0);
    log.printf("training a Qwen2 model from scratch: %d layers, hidden %d, %d heads (%d KV), vocab %d;"
            + " %d steps of %d x %d tokens%n", config.numHiddenLayers(), config.hiddenSize(),
        config.numAttentionHeads(), config.numKeyValueHeads(), config.vocabSize(), steps, batch, seqLen);
    SftTrainer trainer = new SftTrainer(kernels, sft, out.resolve("lm"),
        CheckpointWriter.Options.defaults().withTokenizerFile(tokFile), eos, log);
    SftTrainer.Result r = trainer.run(() -> Qwen2Model.random(kernels, config, seed), train, dev);
    try (Qwen2Model model = r.model()) {
      log.printf("held-out loss: %.3f before training, %.3f after (nats/token; uniform would be %.3f)%n",
          r.devLossBefore(), r.devLossAfter(), Math.log(config.vocabSize()));
      showSample(model, tok, passages.get(0), eos);
      log.println("checkpoint (Hugging Face layout): " + out.resolve("lm/checkpoints"));
      log.println("metrics: " + out.resolve("lm/metrics.jsonl"));
    }
    return 0;
  }

  /** Greedy continuation of a held-out passage's title, decoded with the KV cache. */
  private void showSample(Qwen2Model model, Tokenizer tok, Passage held, int eos) {
    String prompt = "\"" + held.title() + "\"\n";
    int[] body = tok.encode(prompt);
    int[] ids = new int[body.length + 1];
    ids[0] = eos;
    System.arraycopy(body, 0, ids, 1, body.length);
    Generator gen = new Generator(model, t -> tok.decode(t));
    SamplingConfig greedy = SamplingConfig.greedy().withStopTokenIds(Set.of(eos));
    try (Session s = gen.start(List.of(ids), greedy, ids.length + 48)) {
      s.run(48);
      int[] all = s.tokens(0);
      String text = tok.decode(Arrays.copyOfRange(all, ids.length, all.length), true);
      log.printf("the model continues a held-out title:%n  %s%s%n  (the passage reads: %s)%n",
          prompt.replace("\n", " "), text.strip(), held.text());
    }
  }

  private static boolean isIndex(Path dir) {
    try {
      Index.check(dir);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private void showSearch(Path indexDir, List<Passage> passages) throws IOException {
    try (Searcher s = Searcher.open(indexDir)) {
      String title = passages.get(passages.size() / 2).title();
      log.printf("search \"%s\" (%d passages indexed):%n", title, s.size());
      for (Hit h : s.search(title, 3)) log.printf("  %.2f  %s%n", h.score(), h.title());
    }
  }
}
