package org.research4j.transformer.tokenizer;

/**
 * A tokenizer.json that cannot be used: malformed, or using a component this project does not
 * implement.
 */
public class TokenizerException extends RuntimeException {
  public TokenizerException(String message) {
    super(message);
  }

  public TokenizerException(String message, Throwable cause) {
    super(message, cause);
  }
}
