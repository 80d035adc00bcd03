/**
 * Tools the policy can call from inside its response. A tool owns its tags: the rollout engine
 * stops generation at the tool's closing call tag, hands the text between the tags to the tool (in
 * batches across sequences), and inserts the tool's answer between result tags. The search tool reads a local Lucene index
 * ({@link org.research4j.grpo.tool.SearchTool}) or a retrieval server ({@link
 * org.research4j.grpo.tool.RemoteSearchTool}).
 */
package org.research4j.grpo.tool;
