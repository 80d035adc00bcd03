/** JMH benchmarks of every hot path and side-by-side comparisons with peers. */
package org.research4j.benchmarks;
