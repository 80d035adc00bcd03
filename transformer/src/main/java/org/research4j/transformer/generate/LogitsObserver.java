package org.research4j.transformer.generate;

/**
 * Sees the raw logits (before temperature and filtering) each time a session draws a token, e.g. to
 * keep the sampling policy's log-probabilities or to check the cache against a full forward.
 */
@FunctionalInterface
public interface LogitsObserver {
  /**
   * {@code logits [vocab]} condition on tokens {@code 0..position} of sequence {@code sequence} and
   * predict its token {@code position + 1}. The array is reused after the call returns.
   */
  void observe(int sequence, int position, float[] logits);
}
