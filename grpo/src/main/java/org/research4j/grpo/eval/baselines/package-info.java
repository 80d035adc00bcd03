/**
 * The paper's baselines, on the same model and search tool as the agent: Naive Generation (answer
 * at once), Naive RAG (retrieve with the question, then answer), Iter-RetGen (Shao et al. 2023:
 * rounds of retrieval with the question plus the last round's answer, then answering) and IRCoT
 * (Trivedi et al. 2023: retrieve after every reasoning sentence).
 *
 * <p>The method, not the model, decides when and what to retrieve. With an instruction-tuned model
 * ({@link org.research4j.grpo.eval.baselines.PromptStyle#instructed}) the passages go into the
 * prompt and the method is explained in natural language, as FlashRAG prompts them. A model that
 * knows only the ReSearch tags ({@link org.research4j.grpo.eval.baselines.PromptStyle#tags}, the
 * embedded demo's) is driven by prefilling its response in that format: the method writes the
 * {@code <search>query</search><result>passages</result>} blocks itself and, where the method wants
 * an answer, opens {@code <answer>}; generation stops where the method needs it to (IRCoT: at the
 * end of each thought). Every question of a batch is generated in one batched session.
 */
package org.research4j.grpo.eval.baselines;
