/**
 * Evaluation of a policy on a QA split with the search tool: exact match, F1, the format rate,
 * searches per response and response length, overall and per question type. The agent and the
 * paper's baselines ({@code baselines}) are all {@link org.research4j.grpo.eval.QaMethod}s, run and
 * scored the same way: {@link org.research4j.grpo.eval.Scoring#STRICT} reads the answer as the
 * reward does, {@link org.research4j.grpo.eval.Scoring#LENIENT} out of any text, so that prompted
 * baselines are not penalised for ignoring the tags (the reward and the format verdict stay strict
 * either way). Sampled at temperature 1 ({@link org.research4j.grpo.eval.ResponseSampler}), the
 * agent's n responses per question give its pass@k curve ({@link org.research4j.grpo.eval.PassAtK})
 * and its self-consistency answer ({@link org.research4j.grpo.eval.SelfConsistency}). {@link
 * org.research4j.grpo.eval.HopDiagnostics} says, hop by hop, where a response failed: the query,
 * the retrieval, or the reading.
 */
package org.research4j.grpo.eval;
