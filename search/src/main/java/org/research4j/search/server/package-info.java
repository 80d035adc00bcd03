/**
 * The HTTP retrieval server: one {@link org.research4j.search.index.Searcher} behind the protocols
 * the field's training code already speaks, so that Search-R1, ReSearch and this project's own
 * trainer can all point at it. Built on the JDK's {@code com.sun.net.httpserver} with a virtual
 * thread per request and Jackson for JSON; every bad request gets a 4xx JSON error that names the
 * problem, and no request can stop the server.
 */
package org.research4j.search.server;
