package org.research4j.grpo.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.transformer.tokenizer.ChatTemplate;

/**
 * The page at {@code /} in a real browser: headless Chromium (Debian's {@code chromium}, which
 * {@code bin/test} installs when it runs as root with apt-get), driven over the DevTools protocol,
 * opens {@code /?q=QUESTION}; the page asks the agent (the model taught one search trace) over the
 * streaming API, and once its status says done the page's DOM must show that trace's turns, the
 * answer, and links to the run directory's charts; the screenshot is kept in {@code
 * target/browser/}. Without Chromium that test is skipped, saying why; the charts' serving is
 * checked over plain HTTP either way.
 */
class BrowserPageTest {
  private static final int WIDTH = 1000, HEIGHT = 1400;

  /** Chromium on the PATH, or null. */
  private static Path chromium() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      for (String name : List.of("chromium", "chromium-browser")) {
        Path p = Path.of(dir, name);
        if (Files.isExecutable(p)) return p;
      }
    }
    return null;
  }

  private static void png(Path file, int w, int h) throws IOException {
    Files.createDirectories(file.getParent());
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int x = 0; x < w; x++) img.setRGB(x, h / 2, 0x3366cc);
    ImageIO.write(img, "png", file.toFile());
  }

  private static ModelServer serve(ServeFixtures.Passages tool, Path run) throws IOException {
    ServeFixtures.Loaded m = ServeFixtures.taught();
    return ModelServer.start(
        m.model(),
        m.tokenizer(),
        Set.of(m.eos()),
        ChatTemplate.chatml(null),
        PromptTemplate.bare(),
        tool,
        ServeConfig.defaults("tiny").withRunDir(run));
  }

  @Test
  void aQuestionInTheUrlIsAnsweredOnThePageInChromium(@TempDir Path tmp) throws Exception {
    Path browser = chromium();
    assumeTrue(
        browser != null,
        "skipped: no chromium on the PATH; bin/test installs Debian's chromium"
            + " when run as root with apt-get (apt-get install chromium)");
    Path run = tmp.resolve("run");
    png(run.resolve("learning.png"), 60, 40);
    png(run.resolve("grpo").resolve("report").resolve("reward.png"), 50, 30);
    ServeFixtures.Passages tool = new ServeFixtures.Passages();
    Path shots = Path.of("target", "browser").toAbsolutePath();
    Files.createDirectories(shots);
    Path shot = shots.resolve("ask-page.png");
    Files.deleteIfExists(shot);
    try (ModelServer s = serve(tool, run);
        Chromium chrome = Chromium.start(browser, tmp.resolve("profile"), WIDTH, HEIGHT)) {
      String url =
          s.url() + "/?q=" + URLEncoder.encode(ServeFixtures.QUESTION, StandardCharsets.UTF_8);
      chrome.call("Page.enable", Map.of());
      chrome.call(
          "Emulation.setDeviceMetricsOverride",
          Map.of("width", WIDTH, "height", HEIGHT, "deviceScaleFactor", 1, "mobile", false));
      chrome.call("Page.navigate", Map.of("url", url));
      String status = "";
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!status.equals("done")
          && !status.startsWith("error")
          && System.nanoTime() < deadline) {
        Thread.sleep(100);
        status = chrome.evaluate("(document.getElementById('status') || {}).textContent || ''");
      }
      // unfold the charts: the browser loads each image from /charts/
      chrome.evaluate("document.getElementById('charts').open = true");
      String widths = "";
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!widths.equals("60x40 50x30") && System.nanoTime() < deadline) {
        Thread.sleep(100);
        widths =
            chrome.evaluate(
                "Array.from(document.querySelectorAll('#charts img'))"
                    + ".map(i => i.naturalWidth + 'x' + i.naturalHeight).join(' ')");
      }
      assertEquals("60x40 50x30", widths, "the charts' sizes as the browser decoded them");
      String dom = chrome.evaluate("document.documentElement.outerHTML");
      Files.write(
          shot,
          Base64.getDecoder()
              .decode(
                  chrome
                      .call("Page.captureScreenshot", Map.of("format", "png"))
                      .get("data")
                      .asText()));
      assertEquals("done", status, "the page's status after 30 s; the page:\n" + dom);

      assertTrue(
          dom.contains("<div id=\"final-answer\">Answer: Varemo</div>"), "the answer, in:\n" + dom);
      assertTrue(
          dom.contains("<div>1 search: \u201cKesto\u201d</div>"), "the searches, in:\n" + dom);
      assertTrue(
          dom.contains(
              "<div class=\"turn search\"><span class=\"kind\">search query</span>Kesto</div>"),
          dom);
      assertTrue(
          dom.contains(
              "<div class=\"turn result\"><span class=\"kind\">result</span><details><summary>"
                  + "the capital of Kesto is Varemo</summary>"),
          "the passage, folded, in:\n" + dom);
      assertTrue(
          dom.contains(
              "<div class=\"turn answer\"><span class=\"kind\">answer</span>\\boxed{ Varemo}</div>"),
          dom);
      assertTrue(dom.contains("<div id=\"status\">done</div>"), dom);
      assertTrue(
          dom.contains("<details id=\"charts\" open=\"\"><summary>Charts of the run (2)</summary>"),
          dom);
      assertTrue(
          dom.contains(
              "<a href=\"/charts/learning.png\" target=\"_blank\"><img src=\"/charts/learning.png\""),
          dom);
      assertTrue(dom.contains("<a href=\"/charts/grpo/report/reward.png\""), dom);
      assertEquals(List.of("Kesto"), tool.calls, "the page asked once");

      BufferedImage img = ImageIO.read(shot.toFile());
      assertEquals(WIDTH, img.getWidth(), "screenshot " + shot);
      assertEquals(HEIGHT, img.getHeight(), "screenshot " + shot);
    }
  }

  @Test
  void theRunsChartsAreServedAndNothingElse(@TempDir Path tmp) throws Exception {
    Path run = tmp.resolve("run");
    png(run.resolve("pass_at_k.png"), 30, 20);
    png(run.resolve("report").resolve("kl.png"), 20, 20);
    Files.writeString(run.resolve("summary.json"), "{}");
    Files.writeString(tmp.resolve("secret.png"), "not in the run");
    try (ModelServer s = serve(new ServeFixtures.Passages(), run)) {
      HttpResponse<String> page = ServeFixtures.get(s.url() + "/");
      assertTrue(page.body().contains("Charts of the run (2)"), page.body());
      assertTrue(
          page.body().indexOf("/charts/pass_at_k.png")
              < page.body().indexOf("/charts/report/kl.png"),
          "top-level charts first");
      HttpResponse<byte[]> chart =
          ServeFixtures.HTTP.send(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create(s.url() + "/charts/pass_at_k.png"))
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, chart.statusCode());
      assertEquals("image/png", chart.headers().firstValue("Content-Type").orElse(""));
      assertArrayEquals(Files.readAllBytes(run.resolve("pass_at_k.png")), chart.body());
      png(run.resolve("later.png"), 10, 10);
      assertTrue(
          ServeFixtures.get(s.url() + "/").body().contains("/charts/later.png"), "listed afresh");
      for (String bad :
          List.of(
              "/charts/summary.json",
              "/charts/../secret.png",
              "/charts/%2e%2e/secret.png",
              "/charts/nope.png")) {
        HttpResponse<String> r = ServeFixtures.get(s.url() + bad);
        assertEquals(404, r.statusCode(), bad + ": " + r.body());
        assertTrue(r.body().contains("\"code\":\"not_found\""), r.body());
      }
    }
    try (ModelServer s = serve(new ServeFixtures.Passages(), null)) {
      assertFalse(
          ServeFixtures.get(s.url() + "/").body().contains("id=\"charts\""), "no run, no charts");
      HttpResponse<String> r = ServeFixtures.get(s.url() + "/charts/learning.png");
      assertEquals(404, r.statusCode());
      assertTrue(r.body().contains("without --run"), r.body());
    }
  }

  /**
   * Headless Chromium driven over the DevTools protocol (a WebSocket to its one page): the page is
   * polled in real time, where {@code --dump-dom} with a virtual time budget would not wait for a
   * streamed reply.
   */
  private static final class Chromium implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Process process;
    private final WebSocket socket;
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();

    private Chromium(Process process, WebSocket socket) {
      this.process = process;
      this.socket = socket;
    }

    static Chromium start(Path browser, Path profile, int width, int height) throws Exception {
      Files.createDirectories(profile);
      Process p =
          new ProcessBuilder(
                  browser.toString(),
                  "--headless",
                  "--no-sandbox",
                  "--disable-gpu",
                  "--disable-dev-shm-usage",
                  "--no-first-run",
                  "--hide-scrollbars",
                  "--remote-debugging-port=0",
                  "--remote-allow-origins=*",
                  "--user-data-dir=" + profile,
                  "--window-size=" + width + "," + height,
                  "about:blank")
              .redirectErrorStream(true)
              .redirectOutput(profile.resolve("chromium.log").toFile())
              .start();
      try {
        Path active = profile.resolve("DevToolsActivePort");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Files.exists(active) || Files.readAllLines(active).size() < 2) {
          if (!p.isAlive() || System.nanoTime() > deadline) {
            throw new IllegalStateException(
                "chromium gave no DevTools port: "
                    + Files.readString(profile.resolve("chromium.log")));
          }
          Thread.sleep(50);
        }
        int port = Integer.parseInt(Files.readAllLines(active).getFirst().strip());
        JsonNode targets =
            JSON.readTree(ServeFixtures.get("http://127.0.0.1:" + port + "/json/list").body());
        String ws = null;
        for (JsonNode t : targets) {
          if (t.get("type").asText().equals("page")) ws = t.get("webSocketDebuggerUrl").asText();
        }
        if (ws == null) throw new IllegalStateException("chromium has no page: " + targets);
        Chromium[] self = new Chromium[1];
        StringBuilder frame = new StringBuilder();
        WebSocket socket =
            ServeFixtures.HTTP
                .newWebSocketBuilder()
                .buildAsync(
                    URI.create(ws),
                    new WebSocket.Listener() {
                      @Override
                      public CompletionStage<?> onText(
                          WebSocket w, CharSequence data, boolean last) {
                        frame.append(data);
                        if (last) {
                          try {
                            JsonNode m = JSON.readTree(frame.toString());
                            CompletableFuture<JsonNode> f =
                                m.has("id") ? self[0].pending.remove(m.get("id").asInt()) : null;
                            if (f != null) f.complete(m);
                          } catch (IOException e) {
                            throw new UncheckedIOException(e);
                          } finally {
                            frame.setLength(0);
                          }
                        }
                        w.request(1);
                        return null;
                      }
                    })
                .get(20, TimeUnit.SECONDS);
        self[0] = new Chromium(p, socket);
        return self[0];
      } catch (Exception e) {
        p.destroyForcibly();
        throw e;
      }
    }

    /** Sends a DevTools command and returns its {@code result}; an {@code error} reply fails. */
    JsonNode call(String method, Map<String, Object> params) throws Exception {
      int id = ids.incrementAndGet();
      CompletableFuture<JsonNode> reply = new CompletableFuture<>();
      pending.put(id, reply);
      socket
          .sendText(
              JSON.writeValueAsString(Map.of("id", id, "method", method, "params", params)), true)
          .get(10, TimeUnit.SECONDS);
      JsonNode m = reply.get(30, TimeUnit.SECONDS);
      if (m.has("error")) throw new IllegalStateException(method + ": " + m.get("error"));
      return m.get("result");
    }

    /** The value of a JavaScript expression in the page, as text. */
    String evaluate(String expression) throws Exception {
      return call("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true))
          .get("result")
          .get("value")
          .asText();
    }

    @Override
    public void close() throws Exception {
      socket.abort();
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
    }
  }
}
