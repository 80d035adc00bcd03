package org.research4j.benchmarks.transformer;

/**
 * The command line shared by the side-by-side timing mains: {@code [--warmup 3] [--steps 10]
 * [--batch 8] [--seq 256] [--profile]}.
 */
record TimingArgs(int warmup, int steps, int batch, int seq, boolean profile) {

  static TimingArgs parse(String[] args) {
    int warmup = 3, steps = 10, batch = BenchModel.BATCH, seq = BenchModel.SEQ;
    boolean profile = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--steps" -> steps = Integer.parseInt(args[++i]);
        case "--batch" -> batch = Integer.parseInt(args[++i]);
        case "--seq" -> seq = Integer.parseInt(args[++i]);
        case "--profile" -> profile = true;
        default ->
            throw new IllegalArgumentException(
                "unknown argument "
                    + args[i]
                    + "; use --warmup N, --steps N, --batch N, --seq N, --profile");
      }
    }
    return new TimingArgs(warmup, steps, batch, seq, profile);
  }
}
