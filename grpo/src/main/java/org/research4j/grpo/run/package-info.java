/**
 * What every training run shares: resumable checkpoints written atomically, and the per-step
 * metrics log ({@code metrics.jsonl}).
 */
package org.research4j.grpo.run;
