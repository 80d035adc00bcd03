package org.research4j.grpo.tool;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.Engine;
import org.graalvm.polyglot.EnvironmentAccess;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.PolyglotAccess;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.ResourceLimits;
import org.graalvm.polyglot.SandboxPolicy;
import org.graalvm.polyglot.Source;
import org.graalvm.polyglot.Value;
import org.graalvm.polyglot.io.IOAccess;

/**
 * A code interpreter in the style of ReTool: the model writes a short JavaScript program inside
 * {@code <code>…</code>}, GraalVM's JavaScript runs it, and what it printed (or its error) comes
 * back inside {@code <result>…</result>}, out of the loss like a search result.
 *
 * <p>Every program runs in a fresh context of one shared engine, under GraalVM's {@link
 * SandboxPolicy#CONSTRAINED} policy and more: no host access of any kind (no Java classes, no host
 * objects), no file system, no sockets, no processes, no threads, no environment, no polyglot
 * access, no standard input. Three limits stop a program: a statement count ({@link
 * ResourceLimits}), a wall time, and the bytes its thread allocates; a watchdog cancels the context
 * when one of the last two is passed. What it prints is cut at an output cap. A fault of any kind,
 * the interpreter's own included, comes back as one short {@code Error: …} line, never as an
 * exception, so a rollout goes on. Calls of a batch run in parallel on a bounded pool.
 *
 * <p>The output is what the program wrote with {@code console.log} (or {@code print}); a program
 * that prints nothing shows the value of its last expression, so {@code 2025 - 1987} gives 38.
 */
public final class CodeTool implements Tool, AutoCloseable {
  /** What the code tool lets the model do, in the instructed prompt's first sentence. */
  public static final String ACTIVITY = "running code";

  /** How the instructed prompt tells the model to run code. */
  public static final String INSTRUCTION =
      "To compute, write a short JavaScript program inside"
          + " <code> </code> and print what you need with console.log; its output will appear inside"
          + " <result> </result>.";

  /**
   * @param wallTime the longest a program may run (from the start of its evaluation)
   * @param statements the most statements a program may execute (GraalVM's statement limit)
   * @param allocationBytes the most bytes a program's thread may allocate; passing it cancels the
   *     program (a single allocation past the limit runs before the watchdog sees it)
   * @param outputChars the output cap: longer output is cut there and says so
   * @param parallelism programs of one batch run at once, at most
   */
  public record Limits(
      Duration wallTime, long statements, long allocationBytes, int outputChars, int parallelism) {
    public Limits {
      if (wallTime == null || wallTime.isNegative() || wallTime.isZero()) {
        throw new IllegalArgumentException(
            "code tool: wall time must be positive, got " + wallTime);
      }
      if (statements < 1) {
        throw new IllegalArgumentException(
            "code tool: statement limit must be >= 1, got " + statements);
      }
      if (allocationBytes < 1 << 20) {
        throw new IllegalArgumentException(
            "code tool: allocation limit must be >= 1 MiB, got " + allocationBytes);
      }
      if (outputChars < 16) {
        throw new IllegalArgumentException(
            "code tool: output cap must be >= 16 characters, got " + outputChars);
      }
      if (parallelism < 1) {
        throw new IllegalArgumentException(
            "code tool: parallelism must be >= 1, got " + parallelism);
      }
    }

    /**
     * 3 s, 100,000 statements, 64 MiB allocated, 400 characters of output, as many programs at once
     * as there are processors (at most 8).
     */
    public static Limits defaults() {
      return new Limits(
          Duration.ofSeconds(3),
          100_000,
          64L << 20,
          400,
          Math.min(8, Runtime.getRuntime().availableProcessors()));
    }

    public Limits withWallTime(Duration d) {
      return new Limits(d, statements, allocationBytes, outputChars, parallelism);
    }

    public Limits withStatements(long n) {
      return new Limits(wallTime, n, allocationBytes, outputChars, parallelism);
    }

    public Limits withAllocationBytes(long n) {
      return new Limits(wallTime, statements, n, outputChars, parallelism);
    }

    public Limits withOutputChars(int n) {
      return new Limits(wallTime, statements, allocationBytes, n, parallelism);
    }

    public Limits withParallelism(int n) {
      return new Limits(wallTime, statements, allocationBytes, outputChars, n);
    }
  }

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private final Limits limits;
  private final Engine engine;
  private final ResourceLimits statementLimit;
  private final HostAccess noHost;
  private final ExecutorService pool;
  private final ScheduledExecutorService watchdog;
  private final Set<Running> running = ConcurrentHashMap.newKeySet();
  private final long warmUpNanos;

  /** A program being run: what the watchdog needs to stop it. */
  private static final class Running {
    final Context context;
    final long thread;
    final long deadline;
    final long allocatedAtStart;
    volatile String stoppedFor;

    Running(Context context, long thread, long deadline, long allocatedAtStart) {
      this.context = context;
      this.thread = thread;
      this.deadline = deadline;
      this.allocatedAtStart = allocatedAtStart;
    }
  }

  public CodeTool() {
    this(Limits.defaults());
  }

  /** Starts the engine and runs one program, so that the first real call is not the slow one. */
  public CodeTool(Limits limits) {
    this.limits = limits;
    long t0 = System.nanoTime();
    this.engine =
        Engine.newBuilder("js")
            .sandbox(SandboxPolicy.CONSTRAINED)
            .out(OutputStream.nullOutputStream())
            .err(OutputStream.nullOutputStream())
            .option("engine.WarnInterpreterOnly", "false")
            .build();
    this.statementLimit =
        ResourceLimits.newBuilder().statementLimit(limits.statements(), null).build();
    this.noHost = HostAccess.newBuilder(HostAccess.NONE).allowMutableTargetMappings().build();
    this.pool = Executors.newFixedThreadPool(limits.parallelism(), daemon("code-tool"));
    this.watchdog = Executors.newSingleThreadScheduledExecutor(daemon("code-tool-watchdog"));
    watchdog.scheduleWithFixedDelay(this::watch, 5, 5, TimeUnit.MILLISECONDS);
    run("let warm = 0; for (let i = 0; i < 100; i++) warm += i; console.log(warm)");
    this.warmUpNanos = System.nanoTime() - t0;
  }

  public Limits limits() {
    return limits;
  }

  /** Nanoseconds the constructor took: the engine's start and one program (the cold call). */
  public long warmUpNanos() {
    return warmUpNanos;
  }

  @Override
  public String name() {
    return "code";
  }

  @Override
  public String callOpen() {
    return "<code>";
  }

  @Override
  public String callClose() {
    return "</code>";
  }

  @Override
  public String resultOpen() {
    return "<result>";
  }

  @Override
  public String resultClose() {
    return "</result>";
  }

  @Override
  public String activity() {
    return ACTIVITY;
  }

  @Override
  public String instruction() {
    return INSTRUCTION;
  }

  /** Runs the programs, at most {@code parallelism} at once; one output per program, in order. */
  @Override
  public List<String> call(List<String> programs) {
    List<Future<String>> futures = new ArrayList<>(programs.size());
    for (String p : programs) futures.add(pool.submit(() -> run(p)));
    List<String> out = new ArrayList<>(programs.size());
    for (Future<String> f : futures) {
      try {
        out.add(format(f.get()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("code tool: interrupted while programs ran", e);
      } catch (ExecutionException e) {
        out.add(format("Error: " + oneLine(String.valueOf(e.getCause()))));
      }
    }
    return out;
  }

  /**
   * Runs one program in a fresh context and returns what it printed, or its error; never throws for
   * anything the program does.
   */
  public String run(String program) {
    Capped output = new Capped(limits.outputChars());
    Running r = null;
    try (Context context =
        Context.newBuilder("js")
            .engine(engine)
            .sandbox(SandboxPolicy.CONSTRAINED)
            .out(output)
            .err(output)
            .in(InputStream.nullInputStream())
            .allowHostAccess(noHost)
            .allowHostClassLookup(name -> false)
            .allowIO(IOAccess.NONE)
            .allowCreateThread(false)
            .allowCreateProcess(false)
            .allowNativeAccess(false)
            .allowPolyglotAccess(PolyglotAccess.NONE)
            .allowEnvironmentAccess(EnvironmentAccess.NONE)
            .allowExperimentalOptions(false)
            .resourceLimits(statementLimit)
            .build()) {
      long thread = Thread.currentThread().threadId();
      r =
          new Running(
              context,
              thread,
              System.nanoTime() + limits.wallTime().toNanos(),
              THREADS.getThreadAllocatedBytes(thread));
      running.add(r);
      Value v = context.eval(Source.create("js", program == null ? "" : program));
      running.remove(r);
      String printed = output.text();
      if (printed.isEmpty() && v != null && !v.isNull()) printed = v.toString();
      return printed.isEmpty() ? "(no output)" : printed;
    } catch (PolyglotException e) {
      return withOutput(output, error(e, r));
    } catch (OutOfMemoryError e) {
      return withOutput(output, "Error: out of memory");
    } catch (RuntimeException | StackOverflowError e) {
      String why = r != null && r.stoppedFor != null ? r.stoppedFor : oneLine(String.valueOf(e));
      return withOutput(output, "Error: " + why);
    } finally {
      if (r != null) running.remove(r);
    }
  }

  private String error(PolyglotException e, Running r) {
    if (r != null && r.stoppedFor != null) return "Error: " + r.stoppedFor;
    if (e.isResourceExhausted()
        && e.getMessage() != null
        && e.getMessage().startsWith("Statement count limit")) {
      return "Error: statement limit of " + limits.statements() + " exceeded";
    }
    if (e.isResourceExhausted()) return "Error: out of memory";
    if (e.isCancelled()) return "Error: cancelled";
    if (e.isInternalError()) return "Error: interpreter fault: " + oneLine(e.getMessage());
    String message = oneLine(e.getMessage());
    return message.startsWith("Error") || message.contains("Error:")
        ? message
        : "Error: " + message;
  }

  /** Stops programs past their wall time or allocation limit. */
  private void watch() {
    long now = System.nanoTime();
    for (Running r : running) {
      if (r.stoppedFor != null) continue;
      if (now > r.deadline) {
        r.stoppedFor = "time limit of " + limits.wallTime().toMillis() + " ms exceeded";
      } else {
        long allocated = THREADS.getThreadAllocatedBytes(r.thread) - r.allocatedAtStart;
        if (allocated > limits.allocationBytes()) {
          r.stoppedFor = "memory limit of " + (limits.allocationBytes() >> 20) + " MiB exceeded";
        }
      }
      if (r.stoppedFor != null) {
        try {
          r.context.close(true);
        } catch (RuntimeException ignored) {
          // the program ended (and its context closed) while being stopped
        }
      }
    }
  }

  @Override
  public void close() {
    watchdog.shutdownNow();
    pool.shutdownNow();
    engine.close(true);
  }

  private static String withOutput(Capped output, String error) {
    String printed = output.text();
    return printed.isEmpty() ? error : printed + "\n" + error;
  }

  private static String format(String body) {
    return "\n" + body + "\n";
  }

  private static String oneLine(String s) {
    if (s == null) return "unknown error";
    String first = s.strip().lines().findFirst().orElse("").strip();
    return first.length() > 200 ? first.substring(0, 200) + "…" : first;
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** What a program printed, kept up to the cap; beyond it only counted. */
  private static final class Capped extends OutputStream {
    private final int chars;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private long dropped;

    Capped(int chars) {
      this.chars = chars;
    }

    @Override
    public synchronized void write(int b) {
      if (kept.size() < 4L * chars + 4) kept.write(b);
      else dropped++;
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      int room = (int) Math.max(0, 4L * chars + 4 - kept.size());
      int take = Math.min(room, len);
      kept.write(b, off, take);
      dropped += len - take;
    }

    /** The output, trailing newline removed, cut at the cap with a note saying so. */
    synchronized String text() {
      String s = kept.toString(StandardCharsets.UTF_8);
      if (s.length() > chars || dropped > 0) {
        return s.substring(0, Math.min(chars, s.length()))
            + "\n[output cut at "
            + chars
            + " characters]";
      }
      return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    }
  }
}
