package org.research4j.grpo.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.research4j.grpo.serve.ModelServer;
import org.research4j.grpo.serve.ServeConfig;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.tokenizer.ChatTemplate;
import org.research4j.transformer.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code research serve-model}: a checkpoint behind the OpenAI HTTP API ({@link ModelServer}), with
 * the search agent as {@code <name>-agent} when given an index or a retrieval server.
 */
@Command(
    name = "serve-model",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Serves a checkpoint over the OpenAI API: POST /v1/chat/completions,"
          + " POST /v1/completions, GET /v1/models, GET /health, and a page at / to ask the agent."
          + " With --index or --search-url the model <name>-agent runs the search loop on the server."
          + " Runs until interrupted."
    })
public final class ServeModelCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin SharedOptions.Model model = new SharedOptions.Model();

  @Option(
      names = "--served-model-name",
      description =
          "The name clients pass as \"model\"" + " (default: --model as given, as vLLM does).")
  String name;

  @Option(names = "--index", description = "Lucene index for the agent's searches.")
  Path index;

  @Option(
      names = "--search-url",
      description =
          "Retrieval server for the agent's searches"
              + " (`research serve`, or FlashRAG's: POST /batch_search).")
  String searchUrl;

  @Option(
      names = "--topk",
      defaultValue = "5",
      description = "Passages per search (default: ${DEFAULT-VALUE}).")
  int topK;

  @Option(
      names = "--agent",
      description = "Every request runs the search agent, whatever its model name.")
  boolean agentOnly;

  /** The agent's prompt. */
  @Mixin SharedOptions.Prompt prompt = new SharedOptions.Prompt();

  @Mixin SharedOptions.Chat chat = new SharedOptions.Chat();

  @Option(
      names = "--host",
      defaultValue = "127.0.0.1",
      description = "Address to bind (default:" + " ${DEFAULT-VALUE}, this machine only).")
  String host;

  @Option(
      names = "--port",
      defaultValue = "8001",
      description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
  int port;

  @Option(
      names = "--max-batch",
      defaultValue = "32",
      description = "Most sequences generated together" + " (default: ${DEFAULT-VALUE}).")
  int maxBatch;

  @Option(
      names = "--batch-wait-ms",
      defaultValue = "20",
      description =
          "How long a batch waits for more"
              + " requests after its first (default: ${DEFAULT-VALUE}).")
  int batchWait;

  @Option(
      names = {"--max-completion-length", "--max-tokens"},
      defaultValue = "512",
      description =
          "max_tokens of a request that gives none, cut to the context left"
              + " (default: ${DEFAULT-VALUE}).")
  int maxTokens;

  @Option(
      names = {"--max-tool-calls", "--max-searches"},
      defaultValue = "8",
      description = "Agent: most searches per response (default: ${DEFAULT-VALUE}).")
  int maxSearches;

  @Option(
      names = "--max-body",
      defaultValue = "1048576",
      description = "Largest request body in bytes" + " (default: ${DEFAULT-VALUE}).")
  int maxBody;

  @Option(
      names = "--run",
      paramLabel = "DIR",
      description =
          "A run directory (the demo's runs/demo, a"
              + " train run) whose charts the page at / links: its PNGs (learning.png, pass_at_k.png) and those"
              + " of its report/ folders (research report), listed afresh at each visit.")
  Path runDir;

  @Mixin SharedOptions.Device device = new SharedOptions.Device();

  @Mixin SharedOptions.Weights weights = new SharedOptions.Weights();

  @Mixin SharedOptions.KvCache kvCache = new SharedOptions.KvCache();

  @Override
  public Integer call() throws Exception {
    Path modelDir = model.dir;
    if (!Files.isDirectory(modelDir))
      throw new ParameterException(spec.commandLine(), "--model: no directory " + modelDir);
    if (agentOnly && index == null && searchUrl == null) {
      throw new ParameterException(spec.commandLine(), "--agent needs --index or --search-url");
    }
    if (runDir != null && !Files.isDirectory(runDir)) {
      throw new ParameterException(spec.commandLine(), "--run: no directory " + runDir);
    }
    ServeConfig config;
    try {
      config =
          ServeConfig.defaults(name != null ? name : modelDir.toString())
              .withAddress(host, port)
              .withAgentOnly(agentOnly)
              .withLimits(maxBody, maxBatch, batchWait)
              .withGeneration(maxTokens, maxSearches)
              .withRunDir(runDir);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    Tokenizer tok = CommandInputs.tokenizer(spec.commandLine(), modelDir);
    ChatTemplate template = chat.template();
    SearchToolOptions search = SearchToolOptions.open(spec.commandLine(), index, searchUrl, topK);
    Qwen2Model model = kvCache.apply(Qwen2Model.load(device.open(), modelDir, weights.precision));
    Set<Integer> eos = StopTokens.of(modelDir, model.config(), tok);
    ModelServer server =
        ModelServer.start(
            model,
            tok,
            eos,
            template,
            CommandInputs.agentPrompt(prompt.style, template),
            search.tool(),
            config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  model.close();
                  try {
                    search.close();
                  } catch (Exception e) {
                    System.err.println("closing the index: " + e.getMessage());
                  }
                  stopped.countDown();
                }));
    PrintWriter out = spec.commandLine().getOut();
    out.printf(
        "serving %s as \"%s\"%s on %s (OpenAI API under /v1, a page at /)%n",
        modelDir,
        config.modelName(),
        search.tool() == null
            ? ""
            : agentOnly
                ? " (every request runs the agent)"
                : " and \""
                    + config.modelName()
                    + ServeConfig.AGENT_SUFFIX
                    + "\" (the search agent)",
        server.url());
    out.flush();
    stopped.await();
    return 0;
  }
}
