package org.research4j.grpo.cli;

import java.nio.file.Path;
import org.research4j.kernels.Devices;
import org.research4j.kernels.Kernels;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.model.WeightPrecision;
import org.research4j.transformer.tokenizer.ChatTemplate;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * The options several commands share, as picocli mixins, so that one setting has one name, one
 * description and one way of being read everywhere. Where a command once named a setting
 * differently, the old name stays an alias after the canonical one ({@code names = {"--new",
 * "--old"}}), and {@link #typed} gives the name the user typed for messages about its value.
 */
final class SharedOptions {
  private SharedOptions() {}

  /** {@code --device}: the kernels to run on. */
  static final class Device {
    @Option(
        names = "--device",
        paramLabel = "DEVICE",
        description =
            "auto (default: an OpenCL GPU,"
                + " else the Java CPU kernels), cpu, opencl, opencl:gpu, opencl:cpu, pocl or"
                + " opencl:PLATFORM:DEVICE; RESEARCH4J_DEVICE sets the default.")
    String device;

    Kernels open() {
      return Devices.open(device);
    }
  }

  /**
   * {@code --weights}: how a model that is only run (not trained) keeps its weights. {@code bf16}:
   * frozen bfloat16 matrices read with float32 accumulation, half the memory; {@code int8}: frozen
   * int8 matrices with a float32 scale per row, a quarter of the memory.
   */
  static final class Weights {
    @Option(
        names = "--weights",
        defaultValue = "f32",
        paramLabel = "PRECISION",
        converter = WeightsConverter.class,
        completionCandidates = WeightsConverter.class,
        description =
            "How the model keeps its weights: ${COMPLETION-CANDIDATES}; bf16: frozen"
                + " bfloat16 matrices read with float32 accumulation, half the memory (a float32"
                + " checkpoint is rounded); int8: frozen int8 matrices with a float32 scale per"
                + " row, a quarter of the memory (any checkpoint is quantized on load, each weight"
                + " within half a step of its row). Default: ${DEFAULT-VALUE}.")
    WeightPrecision precision = WeightPrecision.F32;
  }

  /**
   * {@code --kv-cache}: how generation keeps its KV cache. {@code auto} (the default): bfloat16
   * where the kernels take it (the CPU kernels), else float32.
   */
  static final class KvCache {
    @Option(
        names = "--kv-cache",
        defaultValue = "auto",
        paramLabel = "PRECISION",
        description =
            "How generation keeps its KV cache: auto (default: bf16 where the kernels take it,"
                + " the CPU kernels; else f32), bf16 (keys and values rounded to bfloat16, half"
                + " the bytes a decode step reads; attention still computes in float32) or f32.")
    String value = "auto";

    /** Whether the cache is bfloat16 on {@code kernels}; a clear error for a bad value. */
    boolean bf16(Kernels kernels) {
      return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
        case "auto" -> kernels.bf16Caches();
        case "bf16", "bfloat16" -> true;
        case "f32", "fp32", "float32" -> false;
        default ->
            throw new IllegalArgumentException(
                "--kv-cache must be auto, bf16 or f32, got '" + value + "'");
      };
    }

    /** Sets {@code model}'s cache precision from the option; returns the model. */
    Qwen2Model apply(Qwen2Model model) {
      return model.bf16Caches(bf16(model.kernels()));
    }
  }

  /** The choices of {@code --weights} and {@code train --reference-weights}: f32, bf16, int8. */
  static final class WeightsConverter extends ChoiceConverter<WeightPrecision> {
    WeightsConverter() {
      super(
          WeightPrecision.class,
          p -> p.name().toLowerCase(java.util.Locale.ROOT),
          p ->
              switch (p) {
                case F32 -> java.util.List.of("fp32", "float32");
                case BF16 -> java.util.List.of("bfloat16");
                case INT8 -> java.util.List.of("i8", "q8");
              });
    }
  }

  /** {@code --model}: a checkpoint directory the command needs. */
  static final class Model {
    @Option(
        names = "--model",
        required = true,
        paramLabel = "DIR",
        description =
            "Hugging Face checkpoint directory (config.json, safetensors, tokenizer.json).")
    Path dir;
  }

  /** {@code --index}: the Lucene index the search tool reads, required. */
  static final class Index {
    @Option(
        names = "--index",
        required = true,
        paramLabel = "DIR",
        description = "Lucene index built by `research index`.")
    Path dir;
  }

  /** {@code --chat-template} (once {@code --chat} in every command but train). */
  static final class Chat {
    @Option(
        names = {"--chat-template", "--chat"},
        defaultValue = "chatml",
        paramLabel = "TEMPLATE",
        converter = ChatTemplateName.Converter.class,
        completionCandidates = ChatTemplateName.Converter.class,
        description =
            "Chat template: ${COMPLETION-CANDIDATES}; chatml is Qwen2's and Qwen2.5's"
                + " (default: ${DEFAULT-VALUE}).")
    ChatTemplateName name;

    ChatTemplate template() {
      return name.template();
    }
  }

  /** {@code --prompt} for the commands that run a trained agent (default {@code tags}). */
  static final class Prompt {
    @Option(
        names = "--prompt",
        defaultValue = "tags",
        paramLabel = "STYLE",
        converter = AgentPrompt.Converter.class,
        completionCandidates = AgentPrompt.Converter.class,
        description =
            "One of ${COMPLETION-CANDIDATES}: tags (the question alone, the ReSearch format"
                + " prefilled, for a model trained on it, as the demo's; also read as bare) or instructed"
                + " (the format explained in a system turn, for an instruction-tuned model)"
                + " (default: ${DEFAULT-VALUE}).")
    AgentPrompt style;
  }

  /** {@code --seed}: the run's or the sampling's seed, 0 by default ({@code demo}'s is its own). */
  static final class Seed {
    @Option(
        names = "--seed",
        defaultValue = "0",
        description = "Seed of the sampling and of any" + " shuffling (default: ${DEFAULT-VALUE}).")
    long seed;
  }

  /**
   * The name under which the user gave the option whose canonical name is {@code canonical} (an
   * alias such as {@code --n} for {@code --samples}), or the canonical name when it was not given;
   * for messages about its value.
   */
  static String typed(CommandSpec spec, String canonical) {
    OptionSpec option = spec.findOption(canonical);
    if (option == null
        || spec.commandLine() == null
        || spec.commandLine().getParseResult() == null) {
      return canonical;
    }
    for (String arg : spec.commandLine().getParseResult().originalArgs()) {
      for (String name : option.names()) {
        if (arg.equals(name) || arg.startsWith(name + "=")) return name;
      }
    }
    return canonical;
  }
}
