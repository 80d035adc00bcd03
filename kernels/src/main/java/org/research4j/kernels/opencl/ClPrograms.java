package org.research4j.kernels.opencl;

import static org.jocl.CL.*;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_program;

/**
 * Builds the {@code .cl} resources of this package for one device, once per (file, build options),
 * and hands out their kernels. Building is slow (PoCL runs LLVM, seconds per program), so each file
 * is one program holding many kernels, and variants differ only in {@code -D} defines.
 */
final class ClPrograms implements AutoCloseable {
  /** OpenCL C 1.2 only: what NVIDIA's compiler offers. No fast-math: NaN and Inf must survive. */
  static final String BASE_OPTIONS = "-cl-std=CL1.2";

  private final cl_context context;
  private final ClDevice device;
  private final Map<String, cl_program> programs = new HashMap<>();
  private final Map<String, cl_kernel> kernels = new HashMap<>();

  ClPrograms(cl_context context, ClDevice device) {
    this.context = context;
    this.device = device;
  }

  /** Kernel {@code name} of resource {@code file} built with {@code options}. */
  synchronized cl_kernel kernel(String file, String options, String name) {
    String programKey = file + " " + options;
    cl_kernel k = kernels.get(programKey + " " + name);
    if (k != null) return k;
    cl_program program = programs.get(programKey);
    if (program == null) {
      program = build(file, source(file), options);
      programs.put(programKey, program);
    }
    try {
      k = clCreateKernel(program, name, null);
    } catch (CLException e) {
      throw new ClException(
          "kernel '" + name + "' not found in " + file + " on " + device.describe(), e);
    }
    kernels.put(programKey + " " + name, k);
    return k;
  }

  /**
   * Compiles {@code source} (named {@code name} in messages). A failed build throws with the
   * compiler's log, which says file, line and what is wrong.
   */
  cl_program build(String name, String source, String options) {
    cl_program program = clCreateProgramWithSource(context, 1, new String[] {source}, null, null);
    String opts = BASE_OPTIONS + (options.isEmpty() ? "" : " " + options);
    try {
      clBuildProgram(program, 1, new cl_device_id[] {device.id()}, opts, null, null);
    } catch (CLException e) {
      String log = buildLog(program);
      clReleaseProgram(program);
      throw new ClException(
          "OpenCL program '"
              + name
              + "' failed to build ("
              + org.jocl.CL.stringFor_errorCode(e.getStatus())
              + ") on "
              + device.describe()
              + " with options '"
              + opts
              + "'; compiler log:\n"
              + log.strip(),
          e,
          e.getStatus());
    }
    return program;
  }

  private String buildLog(cl_program program) {
    long[] size = new long[1];
    clGetProgramBuildInfo(program, device.id(), CL_PROGRAM_BUILD_LOG, 0, null, size);
    byte[] buf = new byte[(int) size[0]];
    clGetProgramBuildInfo(
        program, device.id(), CL_PROGRAM_BUILD_LOG, buf.length, Pointer.to(buf), null);
    int n = buf.length;
    while (n > 0 && buf[n - 1] == 0) n--;
    return new String(buf, 0, n, StandardCharsets.UTF_8);
  }

  private static String source(String file) {
    try (InputStream in = ClPrograms.class.getResourceAsStream(file)) {
      if (in == null) {
        throw new IllegalStateException(
            "OpenCL source "
                + file
                + " missing from the classpath"
                + " (expected next to "
                + ClPrograms.class.getName()
                + ")");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("reading OpenCL source " + file, e);
    }
  }

  @Override
  public synchronized void close() {
    kernels.values().forEach(k -> clReleaseKernel(k));
    programs.values().forEach(p -> clReleaseProgram(p));
    kernels.clear();
    programs.clear();
  }
}
