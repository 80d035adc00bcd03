/**
 * Matrix-multiply benchmarks: {@link org.research4j.benchmarks.gemm.SgemmBench} (JMH, every
 * transpose) and {@link org.research4j.benchmarks.gemm.SgemmTiming} (a plain median-of-repeats
 * timer that {@code benchmarks/scripts/sgemm-vs-openblas.sh} runs beside OpenBLAS), and {@link
 * org.research4j.benchmarks.gemm.Bf16GemmTiming} (bfloat16 weights against the same in float32 on
 * the products of a Qwen2.5-0.5B layer), and {@link org.research4j.benchmarks.gemm.Bf16GemvBench}
 * (JMH: the bfloat16 products of a 0.5B decode step and prefill, weights from DRAM), and {@link
 * org.research4j.benchmarks.gemm.Int8GemvTiming} (int8 weights against bfloat16 on the products of
 * a 0.5B decode step, weights from DRAM).
 */
package org.research4j.benchmarks.gemm;
