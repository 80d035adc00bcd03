package org.research4j.search.server;

/**
 * How the retrieval server listens and what it accepts.
 *
 * @param host the address to bind; loopback by default, so nothing outside the machine reaches it
 *     unless asked
 * @param port the port; 0 picks a free one
 * @param backlog pending connections the kernel queues before accept; large, so that a burst of
 *     hundreds of new connections is not refused
 * @param maxBodyBytes the largest request body read; larger ones get 413 unread
 * @param maxTopk the largest topk / top_n accepted
 * @param maxQueries the most queries in one request
 * @param maxQueryChars the longest query accepted, in characters
 */
public record ServerOptions(
    String host,
    int port,
    int backlog,
    int maxBodyBytes,
    int maxTopk,
    int maxQueries,
    int maxQueryChars) {

  /** Search-R1's retrieval server listens on 8000; clients written for it work unchanged. */
  public static final int DEFAULT_PORT = 8000;

  public ServerOptions {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must lie in [0, 65535], got " + port);
    }
    if (backlog < 1 || maxBodyBytes < 1 || maxTopk < 1 || maxQueries < 1 || maxQueryChars < 1) {
      throw new IllegalArgumentException("server limits must be positive: " + this);
    }
  }

  public static ServerOptions defaults() {
    return new ServerOptions("127.0.0.1", DEFAULT_PORT, 4096, 1 << 20, 100, 1024, 10_000);
  }

  public ServerOptions withAddress(String host, int port) {
    return new ServerOptions(host, port, backlog, maxBodyBytes, maxTopk, maxQueries, maxQueryChars);
  }

  public ServerOptions withMaxBodyBytes(int maxBodyBytes) {
    return new ServerOptions(host, port, backlog, maxBodyBytes, maxTopk, maxQueries, maxQueryChars);
  }
}
