/**
 * Supervised training of the policy before reinforcement learning: next-token cross-entropy on
 * token sequences with a per-token loss mask (the warm start of the ReSearch recipe, and plain
 * language-model pretraining when every token is trained).
 */
package org.research4j.grpo.sft;
