package org.research4j.grpo.serve;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * One request in the scheduler: the generating thread posts {@link Event}s (text as it is
 * generated, each choice's end, then the job's end), the client's thread takes them. A client that
 * goes away sets {@link #cancel}; its sequences are halted at the next step.
 */
final class Job {
  /**
   * Text of one choice ({@code delta}), or its end ({@code finish} set), or the whole job's end.
   */
  record Event(int choice, String delta, String finish, boolean end, String error) {
    static Event text(int choice, String delta) {
      return new Event(choice, delta, null, false, null);
    }
  }

  final CompletionRequest request;
  final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  final String[] text;
  final String[] finish;
  final int[] completionTokens;
  final int[] searches;
  private volatile boolean cancelled;
  private int open;

  Job(CompletionRequest request) {
    this.request = request;
    int c = request.choices();
    this.text = new String[c];
    this.finish = new String[c];
    this.completionTokens = new int[c];
    this.searches = new int[c];
    this.open = c;
  }

  void cancel() {
    cancelled = true;
  }

  boolean cancelled() {
    return cancelled;
  }

  void delta(int choice, String delta) {
    if (!delta.isEmpty()) events.add(Event.text(choice, delta));
  }

  /** Choice {@code choice} is done; after the last, the job's end event follows. */
  synchronized void finish(int choice, String fullText, String reason, int tokens, int calls) {
    if (finish[choice] != null) return;
    text[choice] = fullText;
    finish[choice] = reason;
    completionTokens[choice] = tokens;
    searches[choice] = calls;
    events.add(new Event(choice, "", reason, false, null));
    if (--open == 0) events.add(new Event(-1, "", null, true, null));
  }

  /** The generation failed: the client gets {@code message} (500). */
  synchronized void fail(String message) {
    if (open == 0) return;
    open = 0;
    events.add(new Event(-1, "", null, true, message));
  }
}
