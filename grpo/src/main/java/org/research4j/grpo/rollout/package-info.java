/**
 * Rollouts: prompts in, tool-interleaved responses out, with the loss mask that keeps the tools'
 * tokens (and the prompt) out of training. {@link org.research4j.grpo.rollout.PromptTemplate} turns
 * a question into a prompt (the instructed one lists the registered tools); {@link
 * org.research4j.grpo.rollout.RolloutEngine} generates a batch, stopping at any registered tool's
 * closing call tag, serving the calls in one batch per tool and resuming on the same KV cache; each
 * finished response is a {@link org.research4j.grpo.rollout.Rollout}, with its calls counted per
 * tool. A listener watches the turns as they are generated, and {@link
 * org.research4j.grpo.rollout.TraceTurns} splits a finished (or partial) response into them.
 */
package org.research4j.grpo.rollout;
