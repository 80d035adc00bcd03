package org.research4j.search.server;

/** A request the server refuses, with the status and the sentence that goes back to the client. */
final class ApiError extends Exception {
  final int status;
  final String code;

  private ApiError(int status, String code, String detail) {
    super(detail, null, false, false);
    this.status = status;
    this.code = code;
  }

  /** Unparseable JSON or an empty body. */
  static ApiError badRequest(String detail) {
    return new ApiError(400, "bad_request", detail);
  }

  /** Well-formed JSON that does not fit the endpoint: FastAPI's status for the same case. */
  static ApiError invalid(String detail) {
    return new ApiError(422, "invalid_request", detail);
  }

  static ApiError notFound(String detail) {
    return new ApiError(404, "not_found", detail);
  }

  static ApiError methodNotAllowed(String detail) {
    return new ApiError(405, "method_not_allowed", detail);
  }

  static ApiError tooLarge(String detail) {
    return new ApiError(413, "payload_too_large", detail);
  }
}
