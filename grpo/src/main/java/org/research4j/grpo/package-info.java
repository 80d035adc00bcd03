/**
 * Tools, the rollout engine, rewards, the GRPO trainer, evaluation with baselines, reports and the
 * {@code research} command line.
 */
package org.research4j.grpo;
