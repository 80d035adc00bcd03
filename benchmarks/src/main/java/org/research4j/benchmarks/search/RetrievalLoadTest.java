package org.research4j.benchmarks.search;

import it.unimi.dsi.fastutil.longs.LongArrayList;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.research4j.search.flashrag.Json;
import org.research4j.search.flashrag.OnMalformed;
import org.research4j.search.flashrag.QaExample;
import org.research4j.search.flashrag.QaFormat;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Load on the retrieval server from {@code --connections} keep-alive connections, each driven by
 * its own virtual thread that sends a Search-R1 {@code POST /retrieve} (one world question, {@code
 * topk}, with scores), waits for the whole response, checks it and sends the next. Stops at {@code
 * --duration} seconds after the warm-up or after {@code --max-requests} requests, whichever comes
 * first, so a run is bounded both ways.
 *
 * <p>A failure is any request without a complete 200 response in the expected shape: refused or
 * reset connections, another status, a short or malformed body. A failed connection is reopened and
 * the run goes on, so every failure is counted. HTTP is spoken on raw sockets to hold exactly the
 * stated number of connections and to keep the client's own cost small.
 */
@Command(
    name = "retrieval-load",
    mixinStandardHelpOptions = true,
    description =
        "HTTP load on the retrieval server's POST /retrieve; prints requests/s,"
            + " latency percentiles and failures.")
public final class RetrievalLoadTest implements Callable<Integer> {
  @Option(names = "--host", defaultValue = "127.0.0.1")
  String host;

  @Option(names = "--port", defaultValue = "8000")
  int port;

  @Option(names = "--connections", defaultValue = "200")
  int connections;

  @Option(names = "--duration", defaultValue = "60", description = "Measured seconds.")
  int duration;

  @Option(
      names = "--warmup",
      defaultValue = "10",
      description =
          "Seconds of load before"
              + " measuring (the server's JIT warm-up); failures in it are counted too.")
  int warmup;

  @Option(
      names = "--max-requests",
      defaultValue = "5000000",
      description = "Stop after this" + " many requests even if time remains.")
  long maxRequests;

  @Option(names = "--topk", defaultValue = "3")
  int topk;

  @Option(
      names = "--questions",
      required = true,
      description = "FlashRAG QA file whose" + " questions are the queries, cycled.")
  Path questions;

  @Option(
      names = "--wait",
      defaultValue = "120",
      description = "Seconds to wait for the server's" + " /health before giving up.")
  int wait;

  @Option(names = "--out", description = "Also write the figures as JSON here.")
  Path out;

  private final LongAdder connectFailures = new LongAdder();
  private final LongAdder ioFailures = new LongAdder();
  private final LongAdder statusFailures = new LongAdder();
  private final LongAdder bodyFailures = new LongAdder();
  private final LongAdder warmupRequests = new LongAdder();
  private final AtomicLong issued = new AtomicLong();

  public static void main(String[] args) {
    System.exit(new CommandLine(new RetrievalLoadTest()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    byte[][] requests = requests();
    awaitHealth();
    long start = System.nanoTime();
    long measureFrom = start + warmup * 1_000_000_000L;
    long deadline = measureFrom + duration * 1_000_000_000L;
    List<Future<LongArrayList>> running = new ArrayList<>();
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int c = 0; c < connections; c++) {
        running.add(threads.submit(() -> drive(requests, measureFrom, deadline)));
      }
      LongArrayList all = new LongArrayList();
      for (Future<LongArrayList> f : running) {
        all.addAll(f.get());
      }
      long end = Math.min(System.nanoTime(), deadline);
      report(all.toLongArray(), (end - measureFrom) / 1e9);
    }
    return failures() == 0 ? 0 : 1;
  }

  private long failures() {
    return connectFailures.sum() + ioFailures.sum() + statusFailures.sum() + bodyFailures.sum();
  }

  private byte[][] requests() throws IOException {
    List<QaExample> qas = QaFormat.readAll(questions, OnMalformed.FAIL);
    byte[][] out = new byte[qas.size()][];
    for (int i = 0; i < out.length; i++) {
      byte[] body =
          Json.MAPPER.writeValueAsBytes(
              Map.of(
                  "queries", List.of(qas.get(i).question()), "topk", topk, "return_scores", true));
      byte[] head =
          ("POST /retrieve HTTP/1.1\r\nHost: "
                  + host
                  + ":"
                  + port
                  + "\r\nContent-Type: application/json\r\nContent-Length: "
                  + body.length
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII);
      out[i] = Arrays.copyOf(head, head.length + body.length);
      System.arraycopy(body, 0, out[i], head.length, body.length);
    }
    return out;
  }

  private void awaitHealth() throws InterruptedException, IOException {
    long until = System.nanoTime() + wait * 1_000_000_000L;
    byte[] get =
        ("GET /health HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(host, port), 1000);
        s.getOutputStream().write(get);
        if (readResponse(new BufferedInputStream(s.getInputStream())).status == 200) {
          return;
        }
      } catch (IOException e) {
        if (System.nanoTime() > until) {
          throw new IOException(
              "no healthy server at "
                  + host
                  + ":"
                  + port
                  + " after "
                  + wait
                  + " s: "
                  + e.getMessage(),
              e);
        }
      }
      Thread.sleep(200);
    }
  }

  /** An open keep-alive connection with one read buffer that lives as long as it does. */
  private record Connection(Socket socket, InputStream in, OutputStream out) {
    void close() {
      try {
        socket.close();
      } catch (IOException ignored) {
        // Already failed; the failure has been counted.
      }
    }
  }

  /** One connection's loop; returns the latencies of its measured requests, in nanoseconds. */
  private LongArrayList drive(byte[][] requests, long measureFrom, long deadline) {
    LongArrayList latencies = new LongArrayList(1 << 14);
    Connection c = null;
    try {
      while (true) {
        if (c == null) {
          c = open();
          if (c == null) {
            if (System.nanoTime() >= deadline) {
              return latencies;
            }
            continue;
          }
        }
        long n = issued.getAndIncrement();
        long t0 = System.nanoTime();
        if (n >= maxRequests || t0 >= deadline) {
          return latencies;
        }
        try {
          c.out().write(requests[(int) (n % requests.length)]);
          c.out().flush();
          Response r = readResponse(c.in());
          long t1 = System.nanoTime();
          if (r.status != 200) {
            statusFailures.increment();
          } else if (!r.body.startsWith("{\"result\":[[") || !r.body.endsWith("]]}")) {
            bodyFailures.increment();
          } else if (t0 >= measureFrom) {
            latencies.add(t1 - t0);
          } else {
            warmupRequests.increment();
          }
          if (r.close) {
            c.close();
            c = null;
          }
        } catch (IOException | RuntimeException e) {
          ioFailures.increment();
          c.close();
          c = null;
        }
      }
    } finally {
      if (c != null) {
        c.close();
      }
    }
  }

  private Connection open() {
    Socket s = new Socket();
    try {
      s.setTcpNoDelay(true);
      s.connect(new InetSocketAddress(host, port), 5000);
      return new Connection(
          s, new BufferedInputStream(s.getInputStream(), 1 << 16), s.getOutputStream());
    } catch (IOException e) {
      connectFailures.increment();
      try {
        s.close();
      } catch (IOException ignored) {
        // The connect failure is what gets counted.
      }
      return null;
    }
  }

  private record Response(int status, String body, boolean close) {}

  /** Reads one HTTP/1.1 response with a Content-Length body; the server always sends one. */
  private static Response readResponse(InputStream in) throws IOException {
    String statusLine = line(in);
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP response: " + statusLine);
    }
    int status = Integer.parseInt(parts[1]);
    int length = -1;
    boolean close = false;
    for (String h = line(in); !h.isEmpty(); h = line(in)) {
      int colon = h.indexOf(':');
      String name = h.substring(0, colon).strip().toLowerCase(Locale.ROOT);
      String value = h.substring(colon + 1).strip();
      if (name.equals("content-length")) {
        length = Integer.parseInt(value);
      } else if (name.equals("connection") && value.equalsIgnoreCase("close")) {
        close = true;
      }
    }
    if (length < 0) {
      throw new IOException("response without Content-Length");
    }
    byte[] body = in.readNBytes(length);
    if (body.length != length) {
      throw new EOFException("body cut short: " + body.length + " of " + length + " bytes");
    }
    return new Response(status, new String(body, StandardCharsets.UTF_8), close);
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new EOFException("connection closed mid-response");
      }
      if (c != '\r') {
        sb.append((char) c);
      }
    }
    return sb.toString();
  }

  private void report(long[] latencies, double seconds) throws IOException {
    Arrays.sort(latencies);
    long ok = latencies.length;
    String json =
        String.format(
            Locale.ROOT,
            "{\"connections\": %d, \"measured_seconds\": %.1f, \"warmup_seconds\": %d,"
                + " \"requests\": %d, \"requests_per_second\": %.0f,"
                + " \"latency_ms\": {\"p50\": %.2f, \"p90\": %.2f, \"p99\": %.2f, \"max\": %.2f},"
                + " \"warmup_requests\": %d, \"failures\": {\"total\": %d, \"connect\": %d, \"io\": %d,"
                + " \"status\": %d, \"body\": %d}}",
            connections,
            seconds,
            warmup,
            ok,
            ok / seconds,
            pct(latencies, 0.50),
            pct(latencies, 0.90),
            pct(latencies, 0.99),
            ok == 0 ? 0 : latencies[latencies.length - 1] / 1e6,
            warmupRequests.sum(),
            failures(),
            connectFailures.sum(),
            ioFailures.sum(),
            statusFailures.sum(),
            bodyFailures.sum());
    System.out.println(json);
    if (out != null) {
      Files.writeString(out, json + "\n");
    }
  }

  private static double pct(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
    return sorted[Math.max(0, i)] / 1e6;
  }
}
