package org.research4j.grpo.cli;

import java.time.Duration;
import org.research4j.grpo.judge.JudgeConfig;
import org.research4j.grpo.judge.LlmJudge;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The {@code --judge-*} options of the commands that can score with LLM-as-judge ({@code eval},
 * {@code demo}): no judge unless {@code --judge-url} is given.
 */
public final class JudgeOptions {
  @Option(
      names = "--judge-url",
      description =
          "OpenAI-compatible API base of an LLM judge, e.g."
              + " https://api.openai.com/v1 or http://127.0.0.1:8001/v1 (research serve-model); adds the"
              + " LJ (LLM-as-judge) score.")
  String url;

  @Option(
      names = "--judge-model",
      description = "The judge's model name (required with --judge-url).")
  String model;

  @Option(
      names = "--judge-api-key-env",
      defaultValue = "OPENAI_API_KEY",
      description =
          "Environment"
              + " variable holding the judge's API key; unset sends none (default: ${DEFAULT-VALUE}).")
  String apiKeyEnv;

  @Option(
      names = "--judge-concurrency",
      defaultValue = "8",
      description = "Judge requests in flight" + " (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(
      names = "--judge-retries",
      defaultValue = "4",
      description =
          "Retries on 429, 5xx, malformed"
              + " replies and timeouts, with doubling backoff from 1 s (default: ${DEFAULT-VALUE}).")
  int retries;

  @Option(
      names = "--judge-timeout",
      defaultValue = "60",
      description = "Seconds per judge request" + " (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  /** The judge, or null when {@code --judge-url} is not given; bad values are named. */
  LlmJudge open(CommandLine cl) {
    JudgeConfig c = config(cl);
    return c == null ? null : new LlmJudge(c);
  }

  /**
   * The judge's configuration, or null when {@code --judge-url} is not given; bad values are named.
   * A command that judges only at its end (the demo) calls this first, so that a mistyped option
   * fails before the hours of training, not after.
   */
  JudgeConfig config(CommandLine cl) {
    if (url == null) {
      if (model != null) throw new ParameterException(cl, "--judge-model needs --judge-url");
      return null;
    }
    if (model == null)
      throw new ParameterException(cl, "--judge-url needs --judge-model (the judge's name)");
    if (timeoutSeconds < 1)
      throw new ParameterException(cl, "--judge-timeout must be >= 1 s, got " + timeoutSeconds);
    try {
      java.net.URI.create(url);
      return JudgeConfig.of(url, model, System.getenv(apiKeyEnv))
          .withConcurrency(concurrency)
          .withRetries(retries, Duration.ofSeconds(1))
          .withTimeout(Duration.ofSeconds(timeoutSeconds));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(cl, "--judge-*: " + e.getMessage());
    }
  }

  /** One line on what the judge did. */
  static String report(LlmJudge judge, String model) {
    LlmJudge.Stats s = judge.stats();
    return String.format(
        "LLM judge %s: %d verdicts, %d unparseable (neither yes nor no), %d failed"
            + " (no reply), %d requests, %d retries, %d from the cache",
        model, s.judged(), s.unparseable(), s.failed(), s.requests(), s.retries(), s.cacheHits());
  }
}
