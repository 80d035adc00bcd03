/**
 * Tools, the rollout engine, rewards, the GRPO trainer, evaluation with baselines and the LLM
 * judge, reports, the OpenAI-compatible model server and the {@code research} command line.
 */
package org.research4j.grpo;
