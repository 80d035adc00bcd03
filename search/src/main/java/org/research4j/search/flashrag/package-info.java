/**
 * FlashRAG file formats: the passage corpus ({@code {"id", "contents"}} with the quoted title on
 * the first line of contents), QA sets ({@code {"id", "question", "golden_answers", "metadata"}}),
 * the line-oriented reader that reports a bad line as {@code file:line}, and the chunker that turns
 * plain documents into passages of about a hundred words.
 *
 * <p>Everything downstream (indexing, the server, the world generator, the trainer) exchanges data
 * in these formats so that a user's own Wikipedia dump or MuSiQue split drops in unchanged.
 */
package org.research4j.search.flashrag;
