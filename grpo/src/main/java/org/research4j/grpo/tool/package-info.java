/**
 * Tools the policy can call from inside its response. A tool owns its tags: the rollout engine
 * stops generation at the tool's closing call tag, hands the text between the tags to the tool (in
 * batches across sequences), and inserts the tool's answer between result tags.
 *
 * <p>{@link org.research4j.grpo.tool.Tool} is all a tool implements: its tags, a batch call, and
 * the words the instructed prompt uses for it. {@link org.research4j.grpo.tool.Tools} is the
 * registry of the tools a policy may call (unique names and call tags, no tool taking the
 * response's own think and answer tags); the rollout engine, the format rule ({@code
 * reward.FormatRule}) and the prompt ({@code rollout.PromptTemplate}) read it, so a new tool
 * touches none of them. {@link org.research4j.grpo.tool.ToolTags} is a tool's tags as the format
 * rule needs them.
 *
 * <p>The tools: the search tool (the paper's: {@code <search>} → the BM25 top-k passages), which
 * reads a local Lucene index ({@link org.research4j.grpo.tool.SearchTool}) or a retrieval server
 * ({@link org.research4j.grpo.tool.RemoteSearchTool}), and {@link
 * org.research4j.grpo.tool.CodeTool} (ReTool's: {@code <code>} → the output of a JavaScript program
 * run by GraalVM in a sandbox: no host access, a statement limit, a wall time, an allocation limit,
 * an output cap, a fresh context per program, batches in parallel).
 */
package org.research4j.grpo.tool;
