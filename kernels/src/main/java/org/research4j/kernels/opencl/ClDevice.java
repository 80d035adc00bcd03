package org.research4j.kernels.opencl;

import static org.jocl.CL.*;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/**
 * One OpenCL device found on this machine, with the limits the kernels size themselves by.
 *
 * @param platformIndex index of the platform in {@code clGetPlatformIDs} order
 * @param deviceIndex index of the device within its platform
 * @param type {@code CL_DEVICE_TYPE_*} bits
 * @param maxWorkGroupSize {@code CL_DEVICE_MAX_WORK_GROUP_SIZE}
 * @param localMemSize {@code CL_DEVICE_LOCAL_MEM_SIZE} in bytes
 * @param globalMemSize {@code CL_DEVICE_GLOBAL_MEM_SIZE} in bytes
 * @param maxAllocSize {@code CL_DEVICE_MAX_MEM_ALLOC_SIZE} in bytes
 */
public record ClDevice(
    int platformIndex,
    int deviceIndex,
    cl_platform_id platform,
    cl_device_id id,
    String platformName,
    String name,
    String vendor,
    String version,
    long type,
    int computeUnits,
    long maxWorkGroupSize,
    long localMemSize,
    long globalMemSize,
    long maxAllocSize) {

  /**
   * What to install on Debian/Ubuntu. JOCL opens the unversioned {@code libOpenCL.so}, which only
   * the -dev package provides; the runtime package alone ships {@code libOpenCL.so.1}.
   */
  public static final String INSTALL_HINT =
      "on Debian/Ubuntu: apt-get install ocl-icd-libopencl1 ocl-icd-opencl-dev pocl-opencl-icd"
          + " (ocl-icd-opencl-dev provides the libOpenCL.so that JOCL opens; without it, link"
          + " libOpenCL.so to libOpenCL.so.1)";

  public boolean isGpu() {
    return (type & CL_DEVICE_TYPE_GPU) != 0;
  }

  public boolean isCpu() {
    return (type & CL_DEVICE_TYPE_CPU) != 0;
  }

  /** True for the Portable Computing Language runtime (the CPU device CI tests on). */
  public boolean isPocl() {
    return platformName.contains("Portable Computing Language");
  }

  /** E.g. {@code "NVIDIA H100 80GB HBM3 (OpenCL 3.0 CUDA)"}. */
  public String describe() {
    return name + " (" + version + ")";
  }

  /**
   * Short lower-case vendor key used by the tuning table: nvidia, amd, intel, apple, arm or other.
   */
  public String vendorKey() {
    String v = (vendor + " " + platformName).toLowerCase(java.util.Locale.ROOT);
    if (v.contains("nvidia")) return "nvidia";
    if (v.contains("advanced micro devices") || v.contains("amd")) return "amd";
    if (v.contains("intel")) return "intel";
    if (v.contains("apple")) return "apple";
    if (v.contains("arm")) return "arm";
    return "other";
  }

  /**
   * Every OpenCL device of every platform, in platform then device order.
   *
   * @throws OpenClUnavailableException when the OpenCL loader library cannot be loaded or finds no
   *     platform
   */
  public static List<ClDevice> discover() {
    cl_platform_id[] platforms;
    try {
      // Every failing CL call throws instead of returning a status nobody reads. Loading the CL
      // class loads the native library, hence inside the try.
      CL.setExceptionsEnabled(true);
      int[] count = new int[1];
      clGetPlatformIDs(0, null, count);
      platforms = new cl_platform_id[count[0]];
      if (count[0] > 0) clGetPlatformIDs(count[0], platforms, null);
    } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
      throw new OpenClUnavailableException(
          "no OpenCL runtime: JOCL could not load libOpenCL.so ("
              + e.getMessage()
              + "); "
              + INSTALL_HINT,
          e);
    } catch (CLException e) {
      if (e.getStatus() != CL_PLATFORM_NOT_FOUND_KHR) throw e;
      platforms = new cl_platform_id[0];
    }
    if (platforms.length == 0) {
      throw new OpenClUnavailableException(
          "no OpenCL platform installed (CL_PLATFORM_NOT_FOUND_KHR): install a GPU driver's"
              + " OpenCL ICD, or PoCL for CPUs (apt-get install pocl-opencl-icd)",
          null);
    }
    List<ClDevice> all = new ArrayList<>();
    for (int p = 0; p < platforms.length; p++) {
      String platformName = string(platforms[p]);
      int[] count = new int[1];
      try {
        clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 0, null, count);
      } catch (CLException e) {
        if (e.getStatus() == CL_DEVICE_NOT_FOUND) continue;
        throw e;
      }
      cl_device_id[] ids = new cl_device_id[count[0]];
      clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, ids.length, ids, null);
      for (int d = 0; d < ids.length; d++) {
        all.add(
            new ClDevice(
                p,
                d,
                platforms[p],
                ids[d],
                platformName,
                string(ids[d], CL_DEVICE_NAME),
                string(ids[d], CL_DEVICE_VENDOR),
                string(ids[d], CL_DEVICE_VERSION),
                longInfo(ids[d], CL_DEVICE_TYPE),
                intInfo(ids[d], CL_DEVICE_MAX_COMPUTE_UNITS),
                sizeInfo(ids[d], CL_DEVICE_MAX_WORK_GROUP_SIZE),
                longInfo(ids[d], CL_DEVICE_LOCAL_MEM_SIZE),
                longInfo(ids[d], CL_DEVICE_GLOBAL_MEM_SIZE),
                longInfo(ids[d], CL_DEVICE_MAX_MEM_ALLOC_SIZE)));
      }
    }
    return all;
  }

  private static String string(cl_platform_id platform) {
    long[] size = new long[1];
    clGetPlatformInfo(platform, CL_PLATFORM_NAME, 0, null, size);
    byte[] buf = new byte[(int) size[0]];
    clGetPlatformInfo(platform, CL_PLATFORM_NAME, buf.length, Pointer.to(buf), null);
    return cString(buf);
  }

  private static String string(cl_device_id device, int param) {
    long[] size = new long[1];
    clGetDeviceInfo(device, param, 0, null, size);
    byte[] buf = new byte[(int) size[0]];
    clGetDeviceInfo(device, param, buf.length, Pointer.to(buf), null);
    return cString(buf);
  }

  private static String cString(byte[] buf) {
    int n = buf.length;
    while (n > 0 && buf[n - 1] == 0) n--;
    return new String(buf, 0, n, StandardCharsets.UTF_8).trim();
  }

  private static long longInfo(cl_device_id device, int param) {
    long[] v = new long[1];
    clGetDeviceInfo(device, param, Sizeof.cl_ulong, Pointer.to(v), null);
    return v[0];
  }

  private static int intInfo(cl_device_id device, int param) {
    int[] v = new int[1];
    clGetDeviceInfo(device, param, Sizeof.cl_uint, Pointer.to(v), null);
    return v[0];
  }

  private static long sizeInfo(cl_device_id device, int param) {
    long[] v = new long[1];
    clGetDeviceInfo(device, param, Sizeof.size_t, Pointer.to(v), null);
    return v[0];
  }
}
