/**
 * GRPO training (docs/ARCHITECTURE.md, "From a question to a gradient"): sample a group of
 * tool-interleaved rollouts per question, score them, turn rewards into group-relative advantages,
 * and update the policy with the clipped, KL-regularised per-token loss over the tokens the model
 * wrote (never the tool's).
 *
 * <p>{@link org.research4j.grpo.train.GrpoTrainer} runs the loop: question order ({@link
 * org.research4j.grpo.train.QuestionStream}, with DAPO's dynamic sampling and the pass-rate filter
 * when they are on), rollouts, rewards, metrics, evaluation and resumable checkpoints. {@link
 * org.research4j.grpo.train.PolicyUpdate} is the training half of a step: {@link
 * org.research4j.grpo.train.Advantages} per group, {@link org.research4j.grpo.train.LossType}
 * weights per token (token-mean, seq-mean, dr_grpo), micro-batches laid out as {@code
 * PolicyBatch}es with one row per trained token, the loss, the backward pass, the clip and the
 * AdamW step. {@link org.research4j.grpo.train.GrpoConfig} holds the options under TRL's names,
 * with the paper's values in {@link org.research4j.grpo.train.GrpoConfig#paper()}.
 */
package org.research4j.grpo.train;
