package org.research4j.kernels.opencl;

/**
 * No OpenCL runtime can be used on this machine: the loader library {@code libOpenCL} is missing,
 * or it finds no platform (no ICD installed). The message says which and what to install.
 */
public final class OpenClUnavailableException extends RuntimeException {
  public OpenClUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
