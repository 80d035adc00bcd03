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

  /**
   * Rows and columns of an I8 matrix (-1 otherwise), whose memory holds the {@code rows * cols}
   * int8 values row-major, padded to a multiple of 4 bytes, then {@code rows} float32 scales
   * starting at float index {@link #scaleBase()}.
   */
  final int rows;

  final int cols;

  ClBuf(ClKernels owner, cl_mem mem, long capacityBytes, Type type, int length) {
    this(owner, mem, capacityBytes, type, length, -1, -1);
  }

  ClBuf(
      ClKernels owner, cl_mem mem, long capacityBytes, Type type, int length, int rows, int cols) {
    this.owner = owner;
    this.mem = mem;
    this.capacityBytes = capacityBytes;
    this.type = type;
    this.length = length;
    this.rows = rows;
    this.cols = cols;
  }

  /** Float index of the first row scale of an I8 matrix (after its padded int8 values). */
  int scaleBase() {
    return (int) ((((long) rows * cols) + 3) / 4);
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
