package org.research4j.transformer.generate;

/** Why a sequence stopped generating. */
public enum StopReason {
  /** The generated text contains one of the stop strings (e.g. {@code "</search>"}). */
  STOP_STRING,
  /** The last generated token is one of the stop token ids (end of sequence). */
  EOS,
  /** The sequence is full (the session's capacity) or a run's token budget is spent. */
  LENGTH,
  /** The caller stopped the sequence ({@link Session#halt}), e.g. because its client left. */
  HALTED
}
