/**
 * Matrix-multiply benchmarks: {@link org.research4j.benchmarks.gemm.SgemmBench} (JMH, every
 * transpose) and {@link org.research4j.benchmarks.gemm.SgemmTiming} (a plain median-of-repeats
 * timer that {@code benchmarks/scripts/sgemm-vs-openblas.sh} runs beside OpenBLAS).
 */
package org.research4j.benchmarks.gemm;
