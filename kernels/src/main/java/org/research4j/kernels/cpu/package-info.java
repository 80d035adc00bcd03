/**
 * The kernel set on the CPU, in Java: {@link org.research4j.kernels.cpu.CpuKernels} implements
 * {@link org.research4j.kernels.Kernels} on {@link org.research4j.kernels.cpu.CpuBuf} arrays with
 * the Vector API ({@code jdk.incubator.vector}, the machine's preferred float width) and the {@link
 * org.research4j.kernels.cpu.Parallel} fork/join pool.
 *
 * <p>It is both the fallback device when no OpenCL GPU is present and the twin every OpenCL kernel
 * is tested against, so each kernel here is tested in turn against a plain double-precision loop.
 * The heavy kernels have a class each (attention, softmax family, rope, sgemm, {@code CpuBf16} for
 * the products and gathers that read frozen bfloat16 weights, {@code CpuInt8} for those that read
 * frozen int8 weights); the rest are short enough to sit in {@code CpuKernels} next to their
 * argument checks.
 */
package org.research4j.kernels.cpu;
