package org.research4j.benchmarks.gemm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.research4j.kernels.cpu.SgemmBlocking;

/**
 * The CPU sgemm's tuner: times {@link SgemmTiming} (square products, 2 threads) once per candidate
 * cache blocking ({@code KC x MC}, each in a JVM of its own, since the blocking is fixed when the
 * kernels load), prints GFLOP/s per candidate and size, and with {@code --write} keeps the best
 * (highest geometric mean over the sizes) for this CPU in {@link SgemmBlocking#tunedFile()}, which
 * every later run on this CPU then uses (the file names the CPU: vendor, family, model, L2).
 *
 * <p>Usage: {@code SgemmTune [--sizes 1024,2048] [--kc 256,384,512,768] [--mc 60,120,240]
 * [--repeats 5] [--write]} (about 10 s per candidate; the defaults: 12 candidates, 2 minutes). Run
 * it on a quiet machine: the choice is only as good as the timings.
 */
public final class SgemmTune {
  private SgemmTune() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    String sizes = "1024,2048";
    String kcs = "256,384,512,768";
    String mcs = "60,120,240";
    int repeats = 5;
    boolean write = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--sizes" -> sizes = args[++i];
        case "--kc" -> kcs = args[++i];
        case "--mc" -> mcs = args[++i];
        case "--repeats" -> repeats = Integer.parseInt(args[++i]);
        case "--write" -> write = true;
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    System.out.println("# cpu " + SgemmBlocking.cpuKey() + "; GFLOP/s (median) per size");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classpath = System.getProperty("java.class.path");
    SgemmBlocking best = null;
    double bestScore = 0;
    for (String kc : kcs.split(",")) {
      for (String mc : mcs.split(",")) {
        SgemmBlocking b = SgemmBlocking.parse(kc + "," + mc + ",4096", "candidate");
        List<String> cmd =
            List.of(
                java,
                "--add-modules",
                "jdk.incubator.vector",
                "-XX:+UseParallelGC",
                "-Dresearch4j.sgemm=" + b.spec(),
                "-cp",
                classpath,
                SgemmTiming.class.getName(),
                sizes,
                Integer.toString(repeats),
                "1",
                "0.05");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        List<Double> gflops = new ArrayList<>();
        try (BufferedReader r =
            new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line; (line = r.readLine()) != null; ) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 4 && !line.startsWith("#")) gflops.add(Double.parseDouble(f[2]));
          }
        }
        if (p.waitFor() != 0 || gflops.isEmpty()) {
          throw new IllegalStateException("SgemmTiming failed for blocking " + b.spec());
        }
        double log = 0;
        for (double g : gflops) log += Math.log(g);
        double score = Math.exp(log / gflops.size());
        System.out.printf("kc=%s mc=%s  %s  geomean %.1f%n", kc, mc, gflops, score);
        if (score > bestScore) {
          bestScore = score;
          best = b;
        }
      }
    }
    System.out.printf("best: %s (%.1f GFLOP/s geomean)%n", best.spec(), bestScore);
    if (write) {
      Path file = SgemmBlocking.tunedFile();
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(
          tmp,
          "# written by SgemmTune for "
              + SgemmBlocking.cpuKey()
              + " ("
              + String.format("%.1f", bestScore)
              + " GFLOP/s geomean over "
              + sizes
              + ")\nblocking="
              + best.spec()
              + "\n");
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      System.out.println("kept in " + file);
    }
  }
}
