import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.model.functions.Generator;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import java.io.File;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * The peer side of benchmarks/scripts/decode-vs-jlama.sh: Jlama (jlama-core 0.8.4) loads the same
 * checkpoint (bfloat16 weights as stored, float32 working memory) and generates NEW tokens at
 * temperature 1 after a prompt of about PROMPT tokens, batch 1 (Jlama's generate is one sequence),
 * REPEATS times after one warm-up; prints each run's prompt and decode times from Jlama's own
 * Response (promptTimeMs, generateTimeMs, generatedTokens) and the medians.
 *
 * <p>Usage: java --add-modules jdk.incubator.vector -cp 'target/lib/*' JlamaDecode.java DIR
 * [PROMPT=128] [NEW=32] [REPEATS=3] [F32|BF16]
 */
public class JlamaDecode {
  public static void main(String[] args) throws Exception {
    File dir = new File(args[0]);
    int promptTokens = args.length > 1 ? Integer.parseInt(args[1]) : 128;
    int fresh = args.length > 2 ? Integer.parseInt(args[2]) : 32;
    int repeats = args.length > 3 ? Integer.parseInt(args[3]) : 3;
    // F32: activations stay float32 into the bf16 matmuls, as research4j's; BF16 rounds them.
    DType working = args.length > 4 ? DType.valueOf(args[4]) : DType.F32;
    // Jlama's default is max(2, processors / 2) threads; give it every processor, as research4j has.
    int threads = Runtime.getRuntime().availableProcessors();
    com.github.tjake.jlama.util.PhysicalCoreExecutor.overrideThreadCount(threads);
    long t0 = System.nanoTime();
    AbstractModel model = ModelSupport.loadModel(dir, DType.F32, working);
    System.out.printf("jlama load: %.2f s, %s, %d threads, working memory F32, working"
        + " quantization asked %s%n", (System.nanoTime() - t0) / 1e9,
        model.getClass().getSimpleName(), threads, working);
    String prompt = prompt(model, promptTokens);
    int n = model.getTokenizer().encode(prompt).length;
    run(model, prompt, n + fresh); // warm-up; Jlama's token budget counts the prompt
    double[] prefill = new double[repeats];
    double[] decode = new double[repeats];
    for (int r = 0; r < repeats; r++) {
      Generator.Response res = run(model, prompt, n + fresh);
      prefill[r] = n / (res.promptTimeMs / 1e3);
      decode[r] = res.generatedTokens / (res.generateTimeMs / 1e3);
      System.out.printf("  jlama repeat %d: prompt %d tokens in %d ms (%.1f tokens/s), %d tokens"
          + " generated in %d ms (%.2f tokens/s), finish %s%n", r + 1, n, res.promptTimeMs,
          prefill[r], res.generatedTokens, res.generateTimeMs, decode[r], res.finishReason);
    }
    Arrays.sort(prefill);
    Arrays.sort(decode);
    System.out.printf("jlama batch 1: prefill %d-token prompt %.1f tokens/s, decode %.2f tokens/s"
        + " (medians of %d)%n", n, prefill[repeats / 2], decode[repeats / 2], repeats);
    System.out.printf("jlama peak RSS (VmHWM) %s%n", java.nio.file.Files
        .readAllLines(java.nio.file.Path.of("/proc/self/status")).stream()
        .filter(l -> l.startsWith("VmHWM")).findFirst().orElse("?"));
    System.exit(0);
  }

  /** Generates until {@code total} tokens, prompt included (Jlama's budget), or EOS. */
  static Generator.Response run(AbstractModel model, String prompt, int total) {
    return model.generate(UUID.randomUUID(), PromptContext.of(prompt), 1.0f, total, (s, f) -> {});
  }

  /** Words drawn at random until the tokenizer counts about {@code tokens} tokens. */
  static String prompt(AbstractModel model, int tokens) {
    String[] words = {"river", "mayor", "founded", "the", "city", "of", "Kesto", "in", "1812",
        "who", "was", "born", "north", "search", "answer", "question", "Varemo", "library"};
    SplittableRandom rnd = new SplittableRandom(7);
    StringBuilder sb = new StringBuilder();
    while (model.getTokenizer().encode(sb.toString()).length < tokens) {
      sb.append(words[rnd.nextInt(words.length)]).append(' ');
    }
    return sb.toString().trim();
  }
}
