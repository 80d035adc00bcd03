package org.research4j.kernels.opencl;

/**
 * Tiling of the OpenCL sgemm kernel ({@code sgemm.cl}), in the spirit of CLBlast's Xgemm: a
 * work-group of {@code mdimc x ndimc} threads computes an {@code mwg x nwg} tile of C, stepping
 * through K by {@code kwg}; each thread keeps an {@code (mwg/mdimc) x (nwg/ndimc)} block of C in
 * registers and reads its operands from local memory {@code vwm} (A) and {@code vwn} (B) floats at
 * a time. Each distinct config is a separate build of the program ({@code -D} defines).
 */
public record GemmConfig(int mwg, int nwg, int kwg, int mdimc, int ndimc, int vwm, int vwn) {

  public GemmConfig {
    if (!(vwm == 1 || vwm == 2 || vwm == 4) || !(vwn == 1 || vwn == 2 || vwn == 4)) {
      throw new IllegalArgumentException(
          "vector widths must be 1, 2 or 4: " + describe(mwg, nwg, kwg, mdimc, ndimc, vwm, vwn));
    }
    int threads = mdimc * ndimc;
    if (mwg <= 0
        || nwg <= 0
        || kwg <= 0
        || mdimc <= 0
        || ndimc <= 0
        || mwg % (mdimc * vwm) != 0
        || nwg % (ndimc * vwn) != 0
        || (mwg * kwg) % threads != 0
        || (nwg * kwg) % threads != 0) {
      throw new IllegalArgumentException(
          "inconsistent sgemm tiling (need MWG % (MDIMC*VWM) == 0, NWG % (NDIMC*VWN) == 0 and"
              + " MWG*KWG, NWG*KWG divisible by MDIMC*NDIMC): "
              + describe(mwg, nwg, kwg, mdimc, ndimc, vwm, vwn));
    }
  }

  /** Threads per work-group. */
  public int threads() {
    return mdimc * ndimc;
  }

  /** Local memory per work-group: the A and B tiles, each row padded by one vector. */
  public long localBytes() {
    return 4L * kwg * ((mwg + vwm) + (nwg + vwn));
  }

  /** The build options that select this tiling in {@code sgemm.cl}. */
  String defines() {
    return "-D MWG="
        + mwg
        + " -D NWG="
        + nwg
        + " -D KWG="
        + kwg
        + " -D MDIMC="
        + mdimc
        + " -D NDIMC="
        + ndimc
        + " -D VWM="
        + vwm
        + " -D VWN="
        + vwn;
  }

  /** Why this tiling cannot run on {@code device}, or null when it can. */
  public String problemOn(ClDevice device) {
    if (threads() > device.maxWorkGroupSize()) {
      return threads()
          + " threads per work-group exceed the device's maximum "
          + device.maxWorkGroupSize();
    }
    if (localBytes() > device.localMemSize()) {
      return localBytes() + " bytes of local memory exceed the device's " + device.localMemSize();
    }
    return null;
  }

  @Override
  public String toString() {
    return describe(mwg, nwg, kwg, mdimc, ndimc, vwm, vwn);
  }

  private static String describe(
      int mwg, int nwg, int kwg, int mdimc, int ndimc, int vwm, int vwn) {
    return "MWG=" + mwg + " NWG=" + nwg + " KWG=" + kwg + " MDIMC=" + mdimc + " NDIMC=" + ndimc
        + " VWM=" + vwm + " VWN=" + vwn;
  }
}
