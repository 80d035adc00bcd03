package org.research4j.kernels.opencl;

import org.jocl.CL;
import org.jocl.CLException;

/**
 * An OpenCL call failed: a kernel did not build, an allocation did not fit, or the runtime returned
 * an error code. The message names what was being done, on which device, and the OpenCL status.
 */
public final class ClException extends RuntimeException {
  private final int status;

  ClException(String message) {
    super(message);
    this.status = 0;
  }

  ClException(String message, CLException cause) {
    super(message + ": " + CL.stringFor_errorCode(cause.getStatus()), cause);
    this.status = cause.getStatus();
  }

  /** The OpenCL status code ({@code CL_*}, negative), or 0 when the error was detected here. */
  public int status() {
    return status;
  }
}
