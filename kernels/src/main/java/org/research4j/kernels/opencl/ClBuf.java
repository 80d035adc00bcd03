package org.research4j.kernels.opencl;

import org.jocl.cl_mem;
import org.research4j.kernels.Buf;

/**
 * A buffer in OpenCL device memory: a {@code cl_mem} from the pool of the {@link ClKernels} that
 * made it, possibly larger than {@link #length()} (pool size classes). Closing returns the memory
 * to that pool.
 */
public final class ClBuf implements Buf {
  final ClKernels owner;
  final cl_mem mem;
  final long capacityBytes;
  private final Type type;
  private final int length;
  private boolean closed;

  ClBuf(ClKernels owner, cl_mem mem, long capacityBytes, Type type, int length) {
    this.owner = owner;
    this.mem = mem;
    this.capacityBytes = capacityBytes;
    this.type = type;
    this.length = length;
  }

  @Override
  public Type type() {
    return type;
  }

  @Override
  public int length() {
    return length;
  }

  boolean isClosed() {
    return closed;
  }

  @Override
  public void close() {
    synchronized (owner) {
      if (closed) return;
      closed = true;
      owner.release(this);
    }
  }

  @Override
  public String toString() {
    return "ClBuf[" + type + " x " + length + (closed ? ", closed" : "") + "]";
  }
}
