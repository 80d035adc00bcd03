/**
 * JMH benchmarks of the attention kernels (forward, and forward plus backward) at training and
 * long-context shapes; results and how to re-run them are in {@code
 * benchmarks/results/attention.md}.
 */
package org.research4j.benchmarks.attention;
