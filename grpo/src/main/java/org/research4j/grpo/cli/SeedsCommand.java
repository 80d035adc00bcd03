package org.research4j.grpo.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.Callable;
import org.research4j.grpo.report.DemoSummary;
import org.research4j.grpo.report.SeedStats;
import org.research4j.search.cli.SearchMain;
import org.research4j.transformer.checkpoint.AtomicFiles;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code research seeds}: the demo once per seed, in process, into {@code OUT/seed-N/}, then the
 * spread over seeds ({@link SeedStats}) printed and written to {@code OUT/seeds.json}. A seed whose
 * {@code summary.json} exists is not run again, and the demo resumes its own stages, so a killed
 * run picks up where it stopped when started again with the same arguments.
 */
@Command(
    name = "seeds",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Runs `research demo` for each seed into OUT/seed-N/ (skipping seeds whose summary.json exists;"
          + " the demo resumes its own stages), then prints per method the mean, sample standard"
          + " deviation and range over seeds of EM, F1, format rate and searches, and F1 per question"
          + " type, and writes OUT/seeds.json.",
      "Options after -- go to every demo run: research seeds --seeds 42,43 -- --grpo-steps 20"
    })
public final class SeedsCommand implements Callable<Integer> {
  /** The aggregate written into {@code --out}. */
  public static final String JSON = "seeds.json";

  @Spec CommandSpec spec;

  @Option(
      names = "--seeds",
      split = ",",
      defaultValue = "42,43,44",
      paramLabel = "N[,N...]",
      description = "Seeds to run (default: ${DEFAULT-VALUE}).")
  List<Long> seeds;

  @Option(
      names = "--out",
      defaultValue = "runs/seeds",
      description =
          "Directory of the seed-N run directories and seeds.json (default: ${DEFAULT-VALUE}).")
  Path out;

  @Parameters(
      paramLabel = "DEMO_OPTION",
      arity = "0..*",
      description =
          "After --: options for every demo run (not --seed or --out, which this command sets).")
  List<String> demoArgs = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    if (seeds.isEmpty())
      throw new ParameterException(spec.commandLine(), "--seeds: give at least one seed");
    if (new HashSet<>(seeds).size() != seeds.size()) {
      throw new ParameterException(spec.commandLine(), "--seeds lists a seed twice: " + seeds);
    }
    for (String a : demoArgs) {
      for (String own : List.of("--seed", "--out")) {
        if (a.equals(own) || a.startsWith(own + "=")) {
          throw new ParameterException(
              spec.commandLine(),
              own + " is set by `research seeds` for each demo run; leave it out after --");
        }
      }
    }
    PrintWriter err = spec.commandLine().getErr();
    List<DemoSummary.Data> runs = new ArrayList<>();
    for (long seed : seeds) {
      Path dir = runDir(out, seed);
      Path file = dir.resolve(DemoSummary.FILE);
      if (Files.exists(file)) {
        err.println("seed " + seed + ": " + file + " exists, not run again");
      } else {
        List<String> args =
            new ArrayList<>(List.of("--seed", Long.toString(seed), "--out", dir.toString()));
        args.addAll(demoArgs);
        err.println("seed " + seed + ": research demo " + String.join(" ", args));
        err.flush();
        CommandLine demo =
            new CommandLine(new DemoCommand()).setCaseInsensitiveEnumValuesAllowed(true);
        demo.setOut(spec.commandLine().getOut());
        demo.setErr(err);
        int rc = SearchMain.execute(demo, args.toArray(String[]::new));
        if (rc != 0) {
          err.println(
              "error: the demo for seed "
                  + seed
                  + " failed (exit code "
                  + rc
                  + "); run again to resume");
          return rc;
        }
        if (!Files.exists(file)) {
          throw new IOException(
              file + ": the demo for seed " + seed + " finished without writing it");
        }
      }
      DemoSummary.Data d = DemoSummary.read(file);
      if (d.seed() != seed)
        throw new IOException(file + ": seed " + d.seed() + ", expected " + seed);
      runs.add(d);
    }
    SeedStats stats = SeedStats.of(runs);
    PrintWriter o = spec.commandLine().getOut();
    o.print(stats.table());
    Path json = out.resolve(JSON);
    AtomicFiles.writeFile(
        json,
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(stats.toJson()));
    o.println("wrote " + json);
    o.flush();
    return 0;
  }

  /** The run directory of one seed: {@code out/seed-N}. */
  public static Path runDir(Path out, long seed) {
    return out.resolve("seed-" + seed);
  }
}
