/**
 * The kernel set on OpenCL devices, through JOCL: {@link org.research4j.kernels.opencl.ClKernels}
 * (host code), {@link org.research4j.kernels.opencl.ClBuf} (device buffers, pooled), device
 * discovery ({@link org.research4j.kernels.opencl.ClDevice}, listed by {@link
 * org.research4j.kernels.opencl.ListDevices}) and the sgemm tiling table and autotuner ({@link
 * org.research4j.kernels.opencl.SgemmTuning}).
 *
 * <p>The kernels themselves are OpenCL C 1.2 sources next to these classes as resources ({@code
 * ops.cl}, {@code attention.cl}, {@code sgemm.cl}, {@code bf16.cl}: the products and gathers that
 * read frozen bfloat16 weights, plainly tiled, not tuned; {@code int8.cl}: the same for int8
 * weights with per-row scales), so they run on any OpenCL GPU (OpenCL 3.0, which NVIDIA's driver
 * reports, still requires OpenCL C 1.2 and makes the later features optional) and on the PoCL CPU
 * runtime, where CI tests every kernel against its CPU twin. Layers never see this package: they
 * call {@link org.research4j.kernels.Kernels}.
 */
package org.research4j.kernels.opencl;
