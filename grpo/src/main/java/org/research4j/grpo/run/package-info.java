/**
 * What every training run shares. {@link org.research4j.grpo.run.TrainingRun} is the skeleton
 * {@code SftTrainer} and {@code GrpoTrainer} both run in: find the newest checkpoint, load it or
 * make a fresh model, restore the optimiser, resume the metrics log, the step loop with its stop at
 * a non-finite loss, a checkpoint every N steps and at the end. Its parts: resumable checkpoints
 * written atomically ({@link org.research4j.grpo.run.RunCheckpoints}: model, optimiser moments and
 * trainer state per step) and the per-step metrics log ({@link org.research4j.grpo.run.MetricsLog},
 * {@code metrics.jsonl}, truncated to the checkpoint on resume). A run reports its progress,
 * metrics and notes to a {@link org.research4j.grpo.run.TrainingListener}; drawing them (the
 * progress bar on standard error) is the command line's business ({@code org.research4j.grpo.cli}).
 */
package org.research4j.grpo.run;
