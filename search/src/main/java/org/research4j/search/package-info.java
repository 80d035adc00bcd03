/**
 * The environment the agent searches. {@code flashrag} reads and writes the field's corpus and QA
 * formats; {@code index} builds and searches Lucene BM25 indexes with a document store; {@code
 * server} speaks the retrieval protocols of Search-R1 and ReSearch over HTTP; {@code world}
 * generates the invented encyclopedia and its questions; {@code eval} measures retrieval recall;
 * {@code cli} exposes all of it as picocli commands.
 */
package org.research4j.search;
