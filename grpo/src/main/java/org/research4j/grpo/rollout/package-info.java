/**
 * Rollouts: prompts in, tool-interleaved responses out, with the loss mask that keeps the tool's
 * tokens (and the prompt) out of training. {@link org.research4j.grpo.rollout.PromptTemplate} turns
 * a question into a prompt; {@link org.research4j.grpo.rollout.RolloutEngine} generates a batch,
 * stopping at the tool's call tag, serving the calls in one batch and resuming on the same KV
 * cache; each finished response is a {@link org.research4j.grpo.rollout.Rollout}. A listener
 * watches the turns as they are generated, and {@link org.research4j.grpo.rollout.TraceTurns}
 * splits a finished (or partial) response into them.
 */
package org.research4j.grpo.rollout;
