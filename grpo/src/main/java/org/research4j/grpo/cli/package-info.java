/**
 * The {@code research} command line ({@link org.research4j.grpo.cli.ResearchCli}, run by {@code
 * bin/research}): one entry point, one picocli subcommand per job. This package holds the ReSearch
 * commands: {@code demo} (the embedded default, end to end), {@code train} (GRPO from a Hugging
 * Face checkpoint), {@code eval} (the agent against the paper's baselines), {@code passk} (pass@k
 * curves), {@code report} (charts of a run) and {@code seeds} (the demo over several seeds). The
 * search module's commands ({@code world}, {@code chunk}, {@code index}, {@code query}, {@code
 * recall}, {@code serve}) are mounted beside them from {@code org.research4j.search.cli}.
 * {@code CommandInputs} and {@code StopTokens} hold what several commands read the same way;
 * {@code ToolOptions} is the {@code --tools} option (and the code tool's limits) that {@code
 * train} and {@code eval} share.
 *
 * <p>The libraries report, the commands render: trainers tell a {@code
 * org.research4j.grpo.run.TrainingListener} how a run goes, and {@code TrainingProgress} draws it
 * as a {@code StepProgress} bar on standard error with the trainer's notes in the log; the charts
 * and the run report are drawn in {@code org.research4j.grpo.cli.report}. picocli, progressbar and
 * XChart are used in these packages only.
 */
package org.research4j.grpo.cli;
