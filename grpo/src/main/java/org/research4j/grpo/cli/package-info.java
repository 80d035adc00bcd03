/**
 * The {@code research} command line ({@link org.research4j.grpo.cli.ResearchCli}, run by {@code
 * bin/research}): one entry point, one picocli subcommand per job. This package holds the ReSearch
 * commands: {@code demo} (the embedded default, end to end), {@code train} (GRPO from a Hugging
 * Face checkpoint), {@code eval} (the agent against the paper's baselines), {@code passk} (pass@k
 * curves), {@code report} (charts of a run) and {@code seeds} (the demo over several seeds). The
 * search module's commands ({@code world}, {@code chunk}, {@code index}, {@code query}, {@code
 * recall}, {@code serve}) are mounted beside them from {@code org.research4j.search.cli}.
 *
 * <p>One vocabulary: a setting has one option name in every command that has it, TRL's GRPOConfig
 * name where TRL has one ({@code --num-generations}, {@code --max-completion-length}, {@code
 * --loss-type}, ...), and a name a command used before stays an alias after it ({@code
 * --chat-template, --chat}); {@code CanonicalFirstHelp} shows the canonical name first in {@code
 * --help}. The options several commands share are picocli mixins: {@code SharedOptions} (device,
 * model, index, chat template, prompt, seed), {@code ToolOptions} ({@code --tools} and the code
 * tool's limits) and {@code JudgeOptions} ({@code --judge-*}). Choices are enums read by {@code
 * ChoiceConverter}s ({@code ChatTemplateName}, {@code AgentPrompt}, and {@code LossTypeConverter}
 * for the trainer's loss type), their values listed in {@code --help} and a bad one refused with
 * the option's name. {@code CommandInputs} and {@code StopTokens} hold what several commands read
 * the same way; {@code ResultsReport} prints the results tables of {@code demo} and {@code eval}
 * and writes {@code eval}'s JSONL.
 *
 * <p>The libraries report, the commands render: trainers tell a {@code
 * org.research4j.grpo.run.TrainingListener} how a run goes, and {@code TrainingProgress} draws it
 * as a {@code StepProgress} bar on standard error with the trainer's notes in the log; the charts
 * and the run report are drawn in {@code org.research4j.grpo.cli.report}. picocli, progressbar and
 * XChart are used in these packages only.
 */
package org.research4j.grpo.cli;
