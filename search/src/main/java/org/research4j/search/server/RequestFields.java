package org.research4j.search.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads and checks the fields of a request body, refusing with {@link ApiError#invalid} and a
 * sentence that names the field, what was wrong and what is accepted.
 */
final class RequestFields {
  private final JsonNode body;
  private final ServerOptions limits;

  RequestFields(JsonNode body, ServerOptions limits) {
    this.body = body;
    this.limits = limits;
  }

  /** A required list of non-blank query strings. */
  List<String> queries(String field) throws ApiError {
    JsonNode node = body.get(field);
    if (node == null || node.isNull()) {
      throw ApiError.invalid("missing field \"" + field + "\": a list of query strings");
    }
    if (!node.isArray()) {
      throw ApiError.invalid(
          "field \"" + field + "\" must be a list of strings, got " + kind(node));
    }
    if (node.isEmpty()) {
      throw ApiError.invalid("field \"" + field + "\" is an empty list; send at least one query");
    }
    if (node.size() > limits.maxQueries()) {
      throw ApiError.invalid(
          "field \""
              + field
              + "\" holds "
              + node.size()
              + " queries; at most "
              + limits.maxQueries()
              + " per request");
    }
    List<String> queries = new ArrayList<>(node.size());
    for (int i = 0; i < node.size(); i++) {
      queries.add(query(node.get(i), field + "[" + i + "]"));
    }
    return queries;
  }

  /** A required non-blank query string. */
  String query(String field) throws ApiError {
    JsonNode node = body.get(field);
    if (node == null || node.isNull()) {
      throw ApiError.invalid("missing field \"" + field + "\": the query string");
    }
    return query(node, field);
  }

  private String query(JsonNode node, String where) throws ApiError {
    if (!node.isTextual()) {
      throw ApiError.invalid("\"" + where + "\" must be a string, got " + kind(node));
    }
    String q = node.asText();
    if (q.isBlank()) {
      throw ApiError.invalid("\"" + where + "\" is empty; a query needs at least one word");
    }
    if (q.length() > limits.maxQueryChars()) {
      throw ApiError.invalid(
          "\"" + where + "\" is " + q.length() + " characters; at most " + limits.maxQueryChars());
    }
    return q;
  }

  /** An optional count of passages in [1, maxTopk]; absent or null gives the default. */
  int topk(String field, int fallback) throws ApiError {
    JsonNode node = body.get(field);
    if (node == null || node.isNull()) {
      return fallback;
    }
    if (!node.isIntegralNumber() || !node.canConvertToInt()) {
      throw ApiError.invalid(
          "field \""
              + field
              + "\" must be an integer between 1 and "
              + limits.maxTopk()
              + ", got "
              + node);
    }
    int k = node.intValue();
    if (k < 1 || k > limits.maxTopk()) {
      throw ApiError.invalid(
          "field \"" + field + "\" is " + k + "; it must lie between 1 and " + limits.maxTopk());
    }
    return k;
  }

  /** An optional boolean; absent or null gives false. */
  boolean flag(String field) throws ApiError {
    JsonNode node = body.get(field);
    if (node == null || node.isNull()) {
      return false;
    }
    if (!node.isBoolean()) {
      throw ApiError.invalid("field \"" + field + "\" must be true or false, got " + node);
    }
    return node.booleanValue();
  }

  private static String kind(JsonNode node) {
    return switch (node.getNodeType()) {
      case ARRAY -> "a list";
      case OBJECT -> "an object";
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      default -> node.getNodeType().toString().toLowerCase(Locale.ROOT);
    };
  }
}
