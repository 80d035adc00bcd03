package org.research4j.transformer.checkpoint;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The element types of the safetensors format, with their size in bytes. All are recognised when a
 * header is validated; only {@link #F32}, {@link #BF16} and {@link #F16} can be read as float32 or
 * written.
 */
public enum DType {
  BOOL(1),
  U8(1),
  I8(1),
  F8_E4M3(1),
  F8_E5M2(1),
  I16(2),
  U16(2),
  F16(2),
  BF16(2),
  I32(4),
  U32(4),
  F32(4),
  I64(8),
  U64(8),
  F64(8);

  private final int bytes;

  DType(int bytes) {
    this.bytes = bytes;
  }

  /** Size of one element in bytes. */
  public int bytes() {
    return bytes;
  }

  /** Whether {@link SafetensorsFile#readF32} can convert this type to float32. */
  public boolean isFloatConvertible() {
    return this == F32 || this == BF16 || this == F16;
  }

  /** The type named {@code name} in a safetensors header ("F32", "BF16", ...). */
  public static DType parse(String name, String where) {
    for (DType d : values()) {
      if (d.name().equals(name)) {
        return d;
      }
    }
    throw new CheckpointException(
        where
            + ": unknown dtype \""
            + name
            + "\"; the safetensors format knows "
            + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", ")));
  }

  /**
   * The type for a {@code torch_dtype} string of config.json ("float32", "bfloat16", "float16").
   */
  public static DType fromTorchDtype(String torchDtype) {
    return switch (torchDtype) {
      case "float32" -> F32;
      case "bfloat16" -> BF16;
      case "float16" -> F16;
      default ->
          throw new IllegalArgumentException(
              "torch_dtype \""
                  + torchDtype
                  + "\" cannot be written; use float32, bfloat16 or float16");
    };
  }

  /** The {@code torch_dtype} string of config.json for a writable type. */
  public String torchDtype() {
    return switch (this) {
      case F32 -> "float32";
      case BF16 -> "bfloat16";
      case F16 -> "float16";
      default ->
          throw new IllegalArgumentException(
              this + " is not a float type that checkpoints are written in");
    };
  }
}
