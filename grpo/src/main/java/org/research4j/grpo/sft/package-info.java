/**
 * Supervised training of the policy before reinforcement learning: next-token cross-entropy on
 * token sequences with a per-token loss mask (the warm start of the ReSearch recipe, and plain
 * language-model pretraining when every token is trained), run by {@link
 * org.research4j.grpo.sft.SftTrainer}. {@link org.research4j.grpo.sft.SearchTraces} writes the
 * warm-start data: training questions as ReSearch traces whose results come from the real search
 * tool, masked as a rollout's are; with the code tool registered, a computation hop (the arithmetic
 * world's) is written as a program run by the real interpreter, and {@code
 * SearchTraces.computations} gives the code tool's simple cases on their own. What makes a
 * from-scratch model copy names out of its context lives here too: counterfactual renaming ({@link
 * org.research4j.grpo.sft.NameSwap}), repeated and drilled text ({@link
 * org.research4j.grpo.sft.SftExample}), and the copy score that watches for it ({@link
 * org.research4j.grpo.sft.CopyProbe}).
 */
package org.research4j.grpo.sft;
