/**
 * Tools the policy can call from inside its response. A tool owns its tags: the rollout engine
 * stops generation at the tool's closing call tag, hands the text between the tags to the tool (in
 * batches across sequences), and inserts the tool's answer between result tags.
 */
package org.research4j.grpo.tool;
