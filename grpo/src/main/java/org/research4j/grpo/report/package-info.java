/**
 * What runs found, as data: {@link org.research4j.grpo.report.RunMetrics} reads a run's {@code
 * metrics.jsonl} into one {@link org.research4j.grpo.report.MetricSeries} per numeric key (strict
 * in the middle, lenient about a last line cut off by a kill; non-finite values counted and left
 * out), with the moving averages, noise test and summaries the run report uses. The report and its
 * charts are drawn by the command line ({@code org.research4j.grpo.cli.report}).
 *
 * <p>{@link org.research4j.grpo.report.DemoSummary} is what one {@code research demo} run found
 * ({@code summary.json}: stage times, each method's scores, with its LLM-as-judge score when the
 * demo ran with a judge, hop diagnostics, pass@k), and {@link org.research4j.grpo.report.SeedStats}
 * the mean, sample standard deviation and range of those over several seeds ({@code research
 * seeds}, {@code seeds.json}).
 */
package org.research4j.grpo.report;
