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

  /** {@code what} failed with the status of {@code cause}, which is appended to the message. */
  ClException(String what, CLException cause) {
    this(what + ": " + CL.stringFor_errorCode(cause.getStatus()), cause, cause.getStatus());
  }

  /** A complete message; {@code status} is the OpenCL status code. */
  ClException(String message, Throwable cause, int status) {
    super(message, cause);
    this.status = status;
  }

  /** The OpenCL status code ({@code CL_*}, negative), or 0 when the error was detected here. */
  public int status() {
    return status;
  }
}
