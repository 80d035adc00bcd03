package org.research4j.grpo.serve;

/**
 * How {@link ModelServer} serves.
 *
 * @param host address to bind ({@code 127.0.0.1}: this machine only)
 * @param port port; 0 picks a free one
 * @param modelName the name clients pass as {@code model}; {@code modelName + "-agent"} runs the
 *     search agent when a search tool is configured
 * @param agentOnly every request runs the search agent, whatever its model name
 * @param maxBodyBytes largest request body (413 above)
 * @param maxBatch most sequences (requests times their {@code n}) generated together
 * @param batchWaitMillis how long the scheduler waits, after the first request of a batch, for more
 * @param defaultMaxTokens {@code max_tokens} when a request gives none (cut to the context left)
 * @param maxSearches the agent's most search calls per response
 * @param runDir a run directory whose charts the page at {@code /} links ({@link RunCharts}); null
 *     for none
 */
public record ServeConfig(
    String host,
    int port,
    String modelName,
    boolean agentOnly,
    int maxBodyBytes,
    int maxBatch,
    int batchWaitMillis,
    int defaultMaxTokens,
    int maxSearches,
    java.nio.file.Path runDir) {

  public static final String AGENT_SUFFIX = "-agent";

  public ServeConfig {
    if (modelName == null || modelName.isBlank())
      throw new IllegalArgumentException("model name is empty");
    if (port < 0 || port > 65535)
      throw new IllegalArgumentException("port must lie in 0..65535, got " + port);
    if (maxBodyBytes < 1
        || maxBatch < 1
        || batchWaitMillis < 0
        || defaultMaxTokens < 1
        || maxSearches < 0) {
      throw new IllegalArgumentException(
          "need max body >= 1, max batch >= 1, batch wait >= 0,"
              + " default max tokens >= 1 and max searches >= 0");
    }
  }

  /**
   * Loopback, a free port, 1 MiB bodies, batches of 32 gathered for 20 ms, 256 tokens, 8 searches.
   */
  public static ServeConfig defaults(String modelName) {
    return new ServeConfig("127.0.0.1", 0, modelName, false, 1 << 20, 32, 20, 256, 8, null);
  }

  public ServeConfig withAddress(String h, int p) {
    return new ServeConfig(
        h,
        p,
        modelName,
        agentOnly,
        maxBodyBytes,
        maxBatch,
        batchWaitMillis,
        defaultMaxTokens,
        maxSearches,
        runDir);
  }

  public ServeConfig withAgentOnly(boolean a) {
    return new ServeConfig(
        host,
        port,
        modelName,
        a,
        maxBodyBytes,
        maxBatch,
        batchWaitMillis,
        defaultMaxTokens,
        maxSearches,
        runDir);
  }

  public ServeConfig withLimits(int body, int batch, int waitMillis) {
    return new ServeConfig(
        host,
        port,
        modelName,
        agentOnly,
        body,
        batch,
        waitMillis,
        defaultMaxTokens,
        maxSearches,
        runDir);
  }

  public ServeConfig withGeneration(int maxTokens, int searches) {
    return new ServeConfig(
        host,
        port,
        modelName,
        agentOnly,
        maxBodyBytes,
        maxBatch,
        batchWaitMillis,
        maxTokens,
        searches,
        runDir);
  }

  /** This config with the run directory whose charts the page links (null for none). */
  public ServeConfig withRunDir(java.nio.file.Path dir) {
    return new ServeConfig(
        host,
        port,
        modelName,
        agentOnly,
        maxBodyBytes,
        maxBatch,
        batchWaitMillis,
        defaultMaxTokens,
        maxSearches,
        dir);
  }
}
