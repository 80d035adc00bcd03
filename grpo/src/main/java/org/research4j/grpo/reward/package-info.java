/**
 * The ReSearch reward: a format rule over the tagged response ({@link
 * org.research4j.grpo.reward.ResponseFormat} for the paper's search tool alone, {@link
 * org.research4j.grpo.reward.FormatRule} for any set of tools: each call block followed at once by
 * its result block, a result block only after a call, calls counted per tool), then the SQuAD-style
 * token F1 of the {@code \boxed{}} answer against the best golden answer ({@link
 * org.research4j.grpo.reward.AnswerMetrics}, exact match reported beside it); 0 for a malformed
 * response and 0.1 for a well-formed one whose F1 is 0 ({@link
 * org.research4j.grpo.reward.ReSearchReward}; the 0.1 is the paper's, and {@link
 * org.research4j.grpo.reward.Reward#research(double)} takes another). {@link
 * org.research4j.grpo.reward.Reward} is what the trainer calls, per question; {@link
 * org.research4j.grpo.reward.Reward#withRetrievalBonus(double)} adds a step-wise bonus for the
 * share of the question's hop answers that came back in result blocks ({@link
 * org.research4j.grpo.reward.RetrievedAnswers}).
 */
package org.research4j.grpo.reward;
