/**
 * {@code research serve-model}: a checkpoint behind the OpenAI HTTP API (chat and text completions,
 * streaming, models, health) with concurrent requests batched into one generation, an agent mode
 * that runs the ReSearch search loop on the server and returns the whole trace, and a page at
 * {@code /} where a person asks the agent a question and opens the charts of a run ({@link
 * org.research4j.grpo.serve.RunCharts}).
 */
package org.research4j.grpo.serve;
