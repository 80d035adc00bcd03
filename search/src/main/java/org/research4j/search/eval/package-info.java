/**
 * Retrieval quality over a QA set whose metadata records supporting passages: recall@k of the first
 * hop's passage when the question itself is the query (what Naive RAG retrieves), and of every
 * hop's passage when that hop's single-fact sub-question is the query (what an agent that asks good
 * queries retrieves).
 */
package org.research4j.search.eval;
