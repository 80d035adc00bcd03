/**
 * LLM-as-judge: a judge model behind any OpenAI-compatible endpoint says whether a prediction
 * answers a question as its golden answers do, the ReSearch paper's second metric next to exact
 * match; used by {@code research eval} and the demo when a judge is configured.
 */
package org.research4j.grpo.judge;
