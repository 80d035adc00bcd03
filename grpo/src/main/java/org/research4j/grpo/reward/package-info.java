/**
 * The ReSearch reward: a format rule over the tagged response and the SQuAD-style token F1 of the
 * {@code \boxed{}} answer against the best golden answer (exact match reported beside it).
 */
package org.research4j.grpo.reward;
