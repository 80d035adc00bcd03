/**
 * The environment the agent searches: FlashRAG corpus input and output, Lucene BM25 indexing and
 * search, the document store, the HTTP retrieval server and the generated world.
 */
package org.research4j.search;
