package org.research4j.search.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.research4j.search.world.WorldConfig;
import org.research4j.search.world.WorldGenerator;
import org.research4j.search.world.WorldSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "world",
    mixinStandardHelpOptions = true,
    description = {
      "Generates the invented world: corpus.jsonl (FlashRAG passages), train/dev/test.jsonl"
          + " (FlashRAG QA with supporting passages per hop) and world.json.",
      "The same seed writes the same bytes."
    })
public final class WorldCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  private PrintWriter out() {
    return spec.commandLine().getOut();
  }

  @Option(names = "--out", required = true, description = "Directory to write the world into.")
  Path out;

  @Option(names = "--seed", defaultValue = "42", description = "Seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--scale",
      description =
          "Entity-count multiplier; 1 is the demo world of a few"
              + " thousand passages (default: 1).")
  Double scale;

  @Option(
      names = "--passages",
      description =
          "Aim for about this many passages instead of"
              + " giving --scale, e.g. 1000000 for the benchmark world.")
  Long passages;

  @Option(
      names = "--train",
      defaultValue = "5000",
      description = "Train questions (default: ${DEFAULT-VALUE}).")
  int train;

  @Option(
      names = "--dev",
      defaultValue = "500",
      description = "Dev questions (default: ${DEFAULT-VALUE}).")
  int dev;

  @Option(
      names = "--test",
      defaultValue = "500",
      description = "Test questions (default: ${DEFAULT-VALUE}).")
  int test;

  @Option(
      names = "--arithmetic-questions",
      description =
          "Also draw questions that need"
              + " arithmetic over retrieved facts (years_between, age_at_event, year_sum: searches, then a"
              + " computation; for agents with a code tool). Off by default; the corpus is the same.")
  boolean arithmetic;

  @Override
  public Integer call() throws Exception {
    WorldConfig config =
        WorldConfig.defaults()
            .withSeed(seed)
            .withQuestions(train, dev, test)
            .withArithmetic(arithmetic);
    if (passages != null && scale != null) {
      throw new IllegalArgumentException("give --scale or --passages, not both");
    }
    if (passages != null) {
      config = config.withPassages(passages);
    } else if (scale != null) {
      config = config.withScale(scale);
    }
    long t0 = System.nanoTime();
    WorldSummary summary;
    try (ProgressBar bar =
        Progress.bar("world", WorldGenerator.estimatedPassages(config), " passages", 1)) {
      summary = WorldGenerator.generate(config, out, bar::stepTo);
    }
    out()
        .printf(
            "wrote %d passages and %s questions to %s in %.1f s%n",
            summary.passages(), summary.questions(), out, (System.nanoTime() - t0) / 1e9);
    return 0;
  }
}
