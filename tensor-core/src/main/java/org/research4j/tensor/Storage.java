package org.research4j.tensor;

import org.research4j.kernels.Buf;
import org.research4j.kernels.Kernels;

/**
 * The memory behind a tensor and all of its views: the data buffer, the gradient buffer (when there
 * is one) and who owns them. A tape-owned storage borrows its buffers from the tape's pool and
 * gives them back at {@link Tape#reset()}; a standalone storage (constants made with {@link
 * Tensor#of}, parameters) owns its buffers until closed.
 */
final class Storage {
  final Kernels kernels;
  final Buf.Type type;

  /** The tape that lent the buffers, or null for a standalone storage. */
  final Tape tape;

  private Buf data;
  Buf grad;
  String name;
  boolean requiresGrad;

  /** Set when a recorded op needs this storage for its backward: it may not be closed early. */
  boolean pinned;

  private boolean released;

  Storage(Kernels kernels, Buf.Type type, Buf data, Tape tape) {
    this.kernels = kernels;
    this.type = type;
    this.data = data;
    this.tape = tape;
  }

  Buf data(Tensor viewer) {
    if (released) {
      throw new IllegalStateException(
          "tensor "
              + viewer
              + " was released (by Tape.reset() or close()) and can no longer be used; keep"
              + " values across steps in parameters or standalone tensors (Tensor.of)");
    }
    return data;
  }

  boolean released() {
    return released;
  }

  /** Marks the storage dead and hands back its buffers (to the pool, or to the device). */
  void release(BufferPool pool) {
    if (released) return;
    released = true;
    if (pool != null) {
      pool.release(data);
      if (grad != null) pool.release(grad);
    } else {
      data.close();
      if (grad != null) grad.close();
    }
    data = null;
    grad = null;
  }
}
