# The JVM flags every research4j launcher uses, in one place (sourced by bin/env.sh, the benchmark
# scripts and tools/): the Vector API incubator module the CPU kernels are written in, native access
# for JOCL's OpenCL binding, Unsafe memory access for the libraries that still use it (quiet on
# JDK 24+), and the parallel collector (the trainers allocate large short-lived arrays).
R4J_JVM=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED
  --sun-misc-unsafe-memory-access=allow -XX:+UseParallelGC)
