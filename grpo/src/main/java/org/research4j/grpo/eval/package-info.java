/**
 * Evaluation of a policy on a QA split with the search tool: exact match, F1, the format rate,
 * searches per response and response length, overall and per question type. The agent and the
 * paper's baselines ({@code baselines}) are all {@link org.research4j.grpo.eval.QaMethod}s, run and
 * scored the same way.
 */
package org.research4j.grpo.eval;
