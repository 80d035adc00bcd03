#!/usr/bin/env bash
# Packs what tools/gpu/run.sh needs on a machine that has a GPU but no JDK, no Maven and no
# network: a jlinked Java 25 runtime, the compiled modules and tests, the JUnit console launcher,
# the JMH benchmarks and the OpenCL ICD loader, as one archive .gpu/kit.tar.gz (git-ignored) to
# carry to the machine. Run it here, from any directory, after changing code; it rebuilds first.
#
# Size matters: the working tree plus carried paths may be 64 MiB at most, so the runtime is
# jlinked to the modules the code needs and fastutil (23 MiB) is cut to the classes the code can
# reach (the closure of jdeps' class dependencies), and everything travels gzip-compressed.
set -euo pipefail
source "$(dirname "$0")/../../bin/env.sh"
cd "$R4J_ROOT"

JUNIT_CONSOLE=org.junit.platform:junit-platform-console-standalone:1.13.4
# JMH needs java.management; jackson (checkpoint config) uses java.sql when present.
MODULES=java.base,java.logging,java.management,java.sql,java.xml,jdk.unsupported,jdk.incubator.vector

STAGE="$R4J_ROOT/target/gpu-kit"
rm -rf "$STAGE" .gpu
mkdir -p "$STAGE"/{lib,classes,test-classes,ocl} .gpu

echo "pack: building (mvn package -DskipTests)" >&2
mvn -q -B -o package -DskipTests dependency:build-classpath -Dmdep.outputFile=target/cp.txt \
  -Dmdep.includeScope=test >&2

echo "pack: jlink $MODULES" >&2
"$JAVA_HOME/bin/jlink" --add-modules "$MODULES" --strip-debug --no-header-files --no-man-pages \
  --compress=zip-9 --output "$STAGE/jre" 2>&1 | grep -v 'Using incubator modules' >&2 || true
[ -x "$STAGE/jre/bin/java" ] || r4j_die "jlink produced no runtime in $STAGE/jre"

for m in kernels tensor-core transformer benchmarks; do cp -r "$m/target/classes" "$STAGE/classes/$m"; done
for m in kernels transformer; do cp -r "$m/target/test-classes" "$STAGE/test-classes/$m"; done

# Third-party jars of the modules that run there, without JUnit (the console jar brings its own)
# and without the annotation processor, which only runs at build time.
jars=$(cat kernels/target/cp.txt transformer/target/cp.txt benchmarks/target/cp.txt | tr ':' '\n' \
  | grep '\.jar$' | grep -v "$R4J_ROOT" | grep -v -e /org/junit/ -e /opentest4j/ -e /apiguardian/ \
  -e jmh-generator-annprocess | sort -u)
needed="jocl jackson fastutil jmh-core jopt-simple commons-math3"
for j in $jars; do
  for n in $needed; do
    case "$(basename "$j")" in "$n"*) cp "$j" "$STAGE/lib/" ;; esac
  done
done

fastutil=$(ls "$STAGE"/lib/fastutil-*.jar 2>/dev/null || true)
if [ -n "$fastutil" ]; then
  echo "pack: cutting $(basename "$fastutil") to the classes the code reaches" >&2
  work=$(mktemp -d)
  "$JAVA_HOME/bin/jdeps" -verbose:class -filter:none -q --multi-release 25 --ignore-missing-deps \
    "$fastutil" 2>/dev/null | awk '$1 ~ /^it\.unimi\./ && $3 ~ /^it\.unimi\./ {print $1, $3}' \
    > "$work/edges"
  "$JAVA_HOME/bin/jdeps" -verbose:class -q --multi-release 25 --ignore-missing-deps \
    */target/classes */target/test-classes 2>/dev/null | awk '$3 ~ /^it\.unimi\./ {print $3}' \
    | sort -u > "$work/roots"
  # Breadth-first closure of the roots over the edges.
  cp "$work/roots" "$work/keep"
  while :; do
    awk 'NR == FNR {keep[$1]; next} ($1 in keep) {print $2}' "$work/keep" "$work/edges" \
      | cat - "$work/keep" | sort -u > "$work/next"
    cmp -s "$work/next" "$work/keep" && break
    mv "$work/next" "$work/keep"
  done
  mkdir "$work/x"
  (cd "$work/x" && sed 's|\.|/|g; s|$|.class|' "$work/keep" | xargs unzip -q "$fastutil")
  rm "$fastutil"
  (cd "$work/x" && "$JAVA_HOME/bin/jar" --create --file "$STAGE/lib/fastutil-reachable.jar" .)
  echo "pack: fastutil: $(wc -l < "$work/keep") classes kept" >&2
  rm -rf "$work"
fi

echo "pack: fetching $JUNIT_CONSOLE and the OpenCL ICD loader (ocl-icd-libopencl1)" >&2
mvn -q -B -N dependency:copy -Dartifact="$JUNIT_CONSOLE" -DoutputDirectory="$STAGE/lib" >&2
deb=$(mktemp -d)
(cd "$deb" && apt-get download ocl-icd-libopencl1 >/dev/null 2>&1) \
  || r4j_die "apt-get download ocl-icd-libopencl1 failed (needs Debian/Ubuntu apt and network)"
dpkg -x "$deb"/ocl-icd-libopencl1_*.deb "$deb/x"
cp -L "$deb"/x/usr/lib/*/libOpenCL.so.1 "$STAGE/ocl/libOpenCL.so.1"
rm -rf "$deb"

{
  echo "commit $(git rev-parse HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "packed $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n)"
  "$STAGE/jre/bin/java" -version 2>&1 | head -1
} > "$STAGE/KIT"

tar -C "$STAGE" -czf .gpu/kit.tar.gz .
cp "$STAGE/KIT" .gpu/KIT
echo "pack: unpacked $(du -sh "$STAGE" | cut -f1), carried .gpu = $(du -sh .gpu | cut -f1) ($(du -sb .gpu | cut -f1) bytes)"
cat .gpu/KIT
