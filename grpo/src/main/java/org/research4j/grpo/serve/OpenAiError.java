package org.research4j.grpo.serve;

/**
 * A request the model server refuses, sent back as OpenAI's error object {@code {"error":
 * {"message", "type", "param", "code"}}} with {@code status}.
 */
public final class OpenAiError extends Exception {
  final int status;
  final String type;
  final String param;
  final String code;

  OpenAiError(int status, String type, String param, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.type = type;
    this.param = param;
    this.code = code;
  }

  /** A body that does not fit the endpoint: the field in {@code param}. */
  static OpenAiError invalid(String param, String message) {
    return new OpenAiError(400, "invalid_request_error", param, null, message);
  }

  /** A body that is not JSON at all, or not an object. */
  static OpenAiError malformed(String message) {
    return new OpenAiError(400, "invalid_request_error", null, "invalid_json", message);
  }

  static OpenAiError contextOverflow(String param, String message) {
    return new OpenAiError(400, "invalid_request_error", param, "context_length_exceeded", message);
  }

  static OpenAiError unknownModel(String model, String served) {
    return new OpenAiError(
        404,
        "invalid_request_error",
        "model",
        "model_not_found",
        "The model `" + model + "` does not exist; this server has " + served);
  }

  static OpenAiError tooLarge(String message) {
    return new OpenAiError(413, "invalid_request_error", null, "request_too_large", message);
  }

  static OpenAiError notFound(String message) {
    return new OpenAiError(404, "invalid_request_error", null, "not_found", message);
  }

  static OpenAiError methodNotAllowed(String message) {
    return new OpenAiError(405, "invalid_request_error", null, "method_not_allowed", message);
  }

  /** The server is shutting down or its queue is full. */
  static OpenAiError unavailable(String message) {
    return new OpenAiError(503, "server_error", null, "unavailable", message);
  }
}
