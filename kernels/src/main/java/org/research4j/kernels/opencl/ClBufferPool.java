package org.research4j.kernels.opencl;

import static org.jocl.CL.*;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import org.jocl.CLException;
import org.jocl.cl_context;
import org.jocl.cl_mem;

/**
 * Device memory, recycled. Training allocates the same sizes every step, and {@code clCreateBuffer}
 * is slow and fragments memory, so released buffers go to a free list per size class and are handed
 * out again. Size classes are four per power of two (at most 25% waste). Limits are checked before
 * asking the driver, so an oversized request says how much was asked for and how much there is.
 */
final class ClBufferPool implements AutoCloseable {
  private static final long MIN_CLASS = 256;

  private final cl_context context;
  private final ClDevice device;
  private final Map<Long, ArrayDeque<cl_mem>> free = new HashMap<>();
  private long liveBytes;
  private long freeBytes;

  ClBufferPool(cl_context context, ClDevice device) {
    this.context = context;
    this.device = device;
  }

  /** The size class a request of {@code bytes} is served from. */
  static long sizeClass(long bytes) {
    if (bytes <= MIN_CLASS) return MIN_CLASS;
    long top = Long.highestOneBit(bytes);
    long step = top / 4;
    return (bytes + step - 1) / step * step;
  }

  /** A buffer of at least {@code bytes}; its size class is {@code sizeClass(bytes)}. */
  synchronized cl_mem take(long bytes, String what) {
    long cls = sizeClass(bytes);
    ArrayDeque<cl_mem> list = free.get(cls);
    if (list != null && !list.isEmpty()) {
      freeBytes -= cls;
      liveBytes += cls;
      return list.pop();
    }
    if (cls > device.maxAllocSize()) {
      throw new ClException(
          String.format(
              "cannot allocate %s on %s: requested %d bytes (size class %d), but the largest single"
                  + " buffer the device allows is CL_DEVICE_MAX_MEM_ALLOC_SIZE = %d bytes;"
                  + " use smaller batches or sequences",
              what, device.describe(), bytes, cls, device.maxAllocSize()));
    }
    if (liveBytes + freeBytes + cls > device.globalMemSize()) trim();
    if (liveBytes + cls > device.globalMemSize()) {
      throw new ClException(
          String.format(
              "cannot allocate %s on %s: requested %d bytes (size class %d), available %d of"
                  + " CL_DEVICE_GLOBAL_MEM_SIZE = %d bytes (%d in live buffers);"
                  + " use smaller batches or sequences, or close unused buffers",
              what,
              device.describe(),
              bytes,
              cls,
              device.globalMemSize() - liveBytes,
              device.globalMemSize(),
              liveBytes));
    }
    cl_mem mem;
    try {
      mem = clCreateBuffer(context, CL_MEM_READ_WRITE, cls, null, null);
    } catch (CLException first) {
      trim();
      try {
        mem = clCreateBuffer(context, CL_MEM_READ_WRITE, cls, null, null);
      } catch (CLException e) {
        throw new ClException(
            String.format(
                "cannot allocate %s on %s: requested %d bytes (size class %d) with %d bytes in live"
                    + " buffers of CL_DEVICE_GLOBAL_MEM_SIZE = %d",
                what, device.describe(), bytes, cls, liveBytes, device.globalMemSize()),
            e);
      }
    }
    liveBytes += cls;
    return mem;
  }

  /** Returns a buffer of size class {@code cls} to its free list. */
  synchronized void give(cl_mem mem, long cls) {
    liveBytes -= cls;
    freeBytes += cls;
    free.computeIfAbsent(cls, c -> new ArrayDeque<>()).push(mem);
  }

  /** Bytes held by buffers in use. */
  synchronized long liveBytes() {
    return liveBytes;
  }

  /** Releases every buffer on the free lists back to the driver. */
  synchronized void trim() {
    for (ArrayDeque<cl_mem> list : free.values()) {
      for (cl_mem m : list) clReleaseMemObject(m);
    }
    free.clear();
    freeBytes = 0;
  }

  @Override
  public synchronized void close() {
    trim();
  }
}
