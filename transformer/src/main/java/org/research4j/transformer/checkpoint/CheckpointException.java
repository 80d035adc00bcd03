package org.research4j.transformer.checkpoint;

/**
 * A checkpoint, config or safetensors file that cannot be used as it is: malformed, truncated, of
 * an unsupported architecture, or not matching the model that reads it. The message names the file
 * (or the tensor) and what was wrong.
 */
public class CheckpointException extends RuntimeException {
  public CheckpointException(String message) {
    super(message);
  }

  public CheckpointException(String message, Throwable cause) {
    super(message, cause);
  }
}
