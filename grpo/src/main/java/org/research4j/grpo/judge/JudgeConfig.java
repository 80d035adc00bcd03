package org.research4j.grpo.judge;

import java.time.Duration;

/**
 * Where and how {@link LlmJudge} asks: an OpenAI-compatible endpoint.
 *
 * @param url the API base, e.g. {@code https://api.openai.com/v1} or {@code
 *     http://127.0.0.1:8001/v1} ({@code /chat/completions} is appended)
 * @param model the judge model's name
 * @param apiKey sent as {@code Authorization: Bearer}; null for none (a local server)
 * @param concurrency requests in flight at once
 * @param maxRetries further tries of a request answered 429 or 5xx, a malformed body, or nothing in
 *     time
 * @param timeout per try
 * @param backoff the wait before the first retry, doubled for each next (a {@code Retry-After} of
 *     the server is honoured up to 60 s)
 * @param maxTokens the verdict's budget
 */
public record JudgeConfig(
    String url,
    String model,
    String apiKey,
    int concurrency,
    int maxRetries,
    Duration timeout,
    Duration backoff,
    int maxTokens) {

  public JudgeConfig {
    if (url == null || !(url.startsWith("http://") || url.startsWith("https://"))) {
      throw new IllegalArgumentException(
          "judge URL must start with http:// or https://, got " + url);
    }
    if (model == null || model.isBlank())
      throw new IllegalArgumentException("judge model name is empty");
    if (concurrency < 1 || maxRetries < 0 || maxTokens < 1) {
      throw new IllegalArgumentException(
          "judge: need concurrency >= 1, retries >= 0, max tokens >= 1");
    }
    if (timeout.isNegative() || timeout.isZero() || backoff.isNegative()) {
      throw new IllegalArgumentException(
          "judge: need a positive timeout and a non-negative backoff");
    }
  }

  /** 8 in flight, 4 retries from 1 s, 60 s per try, 16 tokens. */
  public static JudgeConfig of(String url, String model, String apiKey) {
    return new JudgeConfig(
        url, model, apiKey, 8, 4, Duration.ofSeconds(60), Duration.ofSeconds(1), 16);
  }

  public JudgeConfig withConcurrency(int n) {
    return new JudgeConfig(url, model, apiKey, n, maxRetries, timeout, backoff, maxTokens);
  }

  public JudgeConfig withRetries(int retries, Duration first) {
    return new JudgeConfig(url, model, apiKey, concurrency, retries, timeout, first, maxTokens);
  }

  public JudgeConfig withTimeout(Duration t) {
    return new JudgeConfig(url, model, apiKey, concurrency, maxRetries, t, backoff, maxTokens);
  }

  public JudgeConfig withMaxTokens(int n) {
    return new JudgeConfig(url, model, apiKey, concurrency, maxRetries, timeout, backoff, n);
  }
}
