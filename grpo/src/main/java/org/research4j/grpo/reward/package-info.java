/**
 * The ReSearch reward: a format rule over the tagged response ({@link
 * org.research4j.grpo.reward.ResponseFormat}), then the SQuAD-style token F1 of the {@code
 * \boxed{}} answer against the best golden answer ({@link
 * org.research4j.grpo.reward.AnswerMetrics}, exact match reported beside it); 0 for a malformed
 * response and 0.1 for a well-formed one whose F1 is 0 ({@link
 * org.research4j.grpo.reward.ReSearchReward}; the 0.1 is the paper's, and {@link
 * org.research4j.grpo.reward.Reward#research(double)} takes another). {@link
 * org.research4j.grpo.reward.Reward} is what the trainer calls.
 */
package org.research4j.grpo.reward;
