/**
 * Measurements of the hot paths, never assertions: JMH benchmarks and plain timing mains, one
 * package per subject ({@code gemm}, {@code attention}, {@code opencl}, {@code transformer}, {@code
 * search}). The scripts in {@code benchmarks/scripts} run the timing mains side by side with
 * PyTorch, OpenBLAS and the retrieval server under load; the figures, with the commands that
 * produced them, are in {@code BENCHMARKS.md} and {@code benchmarks/results}.
 */
package org.research4j.benchmarks;
