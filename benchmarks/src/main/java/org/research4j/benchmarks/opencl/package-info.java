/**
 * Benchmarks of the OpenCL kernels: JMH benchmarks of sgemm ({@link
 * org.research4j.benchmarks.opencl.ClSgemmBench}) and attention ({@link
 * org.research4j.benchmarks.opencl.ClAttentionBench}) on any device spec of {@code
 * org.research4j.kernels.Devices} (so the same benchmark times the Java CPU kernels with {@code -p
 * device=cpu}), and the sgemm autotuner as a command ({@link
 * org.research4j.benchmarks.opencl.ClSgemmTune}). Results: {@code benchmarks/results/opencl.md}.
 */
package org.research4j.benchmarks.opencl;
