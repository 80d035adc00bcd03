/**
 * What every training run shares: resumable checkpoints written atomically ({@link
 * org.research4j.grpo.run.RunCheckpoints}: model, optimiser moments and trainer state per step),
 * the per-step metrics log ({@link org.research4j.grpo.run.MetricsLog}, {@code metrics.jsonl},
 * truncated to the checkpoint on resume), and the progress bar on standard error ({@link
 * org.research4j.grpo.run.StepProgress}).
 */
package org.research4j.grpo.run;
