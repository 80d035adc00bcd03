/**
 * ReSearch on top of the transformer and the search environment: {@code tool} (the tools the policy
 * may call, search and a sandboxed code interpreter, and their registry), {@code rollout} (prompts
 * and tool-interleaved generation with loss masks), {@code reward} (the format rule and answer F1),
 * {@code sft} (supervised language modelling and the warm start on search traces), {@code train}
 * (GRPO), {@code run} (what every training run shares: the resumable run skeleton, checkpoints, the
 * metrics log, the listener that hears progress), {@code eval} (the agent and the paper's baselines
 * scored alike, pass@k, hop diagnostics), {@code judge} (the LLM judge), {@code serve} (the
 * OpenAI-compatible model server), {@code report} (run metrics read back, the demo's and the seeds'
 * summaries) and {@code cli} (the {@code research} command line, the only package here with
 * terminal code: picocli, the progress bars, the charts and the run report in {@code cli.report}).
 * How they fit together: docs/ARCHITECTURE.md.
 */
package org.research4j.grpo;
