package org.research4j.transformer.generate;

/**
 * Sequence {@code sequence} of a session stopped for {@code reason}; {@code stopString} is the stop
 * string found ({@link StopReason#STOP_STRING} only, else null).
 */
public record Stop(int sequence, StopReason reason, String stopString) {}
