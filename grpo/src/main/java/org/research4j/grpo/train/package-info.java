/**
 * GRPO training (DESIGN.md, "One GRPO step, as data"): sample a group of tool-interleaved rollouts
 * per question, score them, turn rewards into group-relative advantages, and update the policy with
 * the clipped, KL-regularised per-token loss over the tokens the model wrote (never the tool's).
 */
package org.research4j.grpo.train;
