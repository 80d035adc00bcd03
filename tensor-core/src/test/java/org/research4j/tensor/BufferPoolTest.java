package org.research4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;
import org.research4j.kernels.Buf;

class BufferPoolTest {

  @Test
  void idleBuffersPastTheLimitAreFreedNotKept() {
    try (BufferPool pool = new BufferPool(Fixtures.CPU, 200)) {
      Buf a = pool.acquire(Buf.Type.F32, 100);
      Buf b = pool.acquire(Buf.Type.F32, 100);
      assertEquals(2, pool.allocations());
      assertEquals(112, a.length(), "100 rounds up to the class 112 (64 + 3 x 16)");
      pool.release(a);
      pool.release(b); // 224 idle elements would pass the limit of 200: b is freed
      assertSame(a, pool.acquire(Buf.Type.F32, 100));
      pool.acquire(Buf.Type.F32, 100);
      assertEquals(3, pool.allocations(), "one buffer was kept, the other had to be made again");
    }
  }

  @Test
  void underTheLimitASteadyLoopAllocatesNothing() {
    try (BufferPool pool = new BufferPool(Fixtures.CPU, 1 << 20)) {
      for (int step = 0; step < 5; step++) {
        Buf a = pool.acquire(Buf.Type.F32, 1000);
        Buf b = pool.acquire(Buf.Type.I32, 70);
        pool.release(a);
        pool.release(b);
      }
      assertEquals(2, pool.allocations());
    }
  }
}
