/**
 * Rollouts: prompts in, tool-interleaved responses out, with the loss mask that keeps the tool's
 * tokens (and the prompt) out of training; a listener watches the turns as they are generated, and
 * {@link org.research4j.grpo.rollout.TraceTurns} splits a finished (or partial) response into them.
 */
package org.research4j.grpo.rollout;
