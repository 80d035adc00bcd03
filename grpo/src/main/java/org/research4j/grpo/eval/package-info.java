/**
 * Evaluation of a policy on a QA split with the search tool: exact match, F1, the format rate,
 * searches per response and response length, overall and per question type.
 */
package org.research4j.grpo.eval;
