/**
 * The run report and the charts, drawn for the command line (XChart lives here and in no library
 * package): {@code research report RUN_DIR} ({@link org.research4j.grpo.cli.report.RunReport})
 * reads the run's {@code metrics.jsonl} ({@link org.research4j.grpo.report.RunMetrics}) and writes
 * one chart per metric and a {@code report.md} that shows them with a summary table.
 *
 * <h2>Reading a run</h2>
 *
 * <p>Every numeric key of the log except {@code step} is charted against {@code step}, in a fixed
 * order that puts what the ReSearch paper reads first: {@code reward}, {@code f1}, {@code em},
 * {@code well_formed}, {@code searches} (tool calls per response), {@code response_tokens}, {@code
 * kl}, {@code loss}, {@code grad_norm}, {@code lr}, then every other key alphabetically (the {@code
 * eval_*} keys among them). A key whose every value is the same (a fixed batch size) is not
 * charted, only listed with its value. A key on fewer than half of the steps (evaluations) is
 * <em>sparse</em> and drawn as points joined by lines. A per-step key that is <em>noisy</em> (its
 * step-to-step changes change a lot from one step to the next, see {@link
 * org.research4j.grpo.report.MetricSeries#isNoisy}) gets a trailing moving average drawn over it,
 * because a GRPO reward averaged over one batch jumps by more than the trend one is looking for.
 * The window is {@link org.research4j.grpo.report.MetricSeries#defaultWindow} (a twentieth of the
 * points, at least 5 and at most 50) unless {@code --window} says otherwise.
 *
 * <p>A GRPO run's log (one with {@code reward}, {@code f1}, {@code well_formed} or {@code
 * searches}, or their {@code eval_} counterparts) also gets {@code learning.png}, linked first:
 * {@link LearningCurveChart} draws those four in one image for a README, the training rollouts with
 * a moving average and the greedy dev evaluations as markers.
 *
 * <p>The summary table gives, per charted metric, the first and last value, the last value of the
 * moving average (the number to quote for a noisy metric: the raw last value is one batch), and the
 * minimum and maximum with the steps they were reached at.
 *
 * <p>Reading is strict in the middle and lenient at the end: a run killed while writing leaves a
 * cut-off last line, which {@link org.research4j.grpo.run.MetricsLog} itself passes over on resume,
 * so the report passes over it too (and says so); a malformed line anywhere else means the file is
 * not what a run wrote, and reading fails with {@code file:line: reason}. Non-finite values (a loss
 * that became NaN, which Jackson writes as the string {@code "NaN"}) are counted and named in the
 * report, and left out of charts and summaries.
 *
 * <p>Every file is written atomically (temporary file, then rename), charts first and {@code
 * report.md} last, so a killed report leaves either the previous files or the new ones and never a
 * {@code report.md} that links a missing chart.
 *
 * <p>{@link org.research4j.grpo.cli.report.PassAtKChart} draws pass@k curves ({@code research
 * passk}) in the same style.
 */
package org.research4j.grpo.cli.report;
