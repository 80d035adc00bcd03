/**
 * Rollouts: prompts in, tool-interleaved responses out, with the loss mask that keeps the tool's
 * tokens (and the prompt) out of training.
 */
package org.research4j.grpo.rollout;
