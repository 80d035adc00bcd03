# Sourced by bin/research and bin/test: finds JDK 25 and Maven, or says exactly what to install.
# Sets JAVA_HOME and puts its java first on PATH.

r4j_die() { echo "research4j: $*" >&2; exit 1; }

r4j_java_major() { # $1 = java binary; prints the major version or nothing
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p'
}

r4j_find_jdk() {
  local c
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk-arm64 \
           /usr/lib/jvm/*25* /Library/Java/JavaVirtualMachines/*25*/Contents/Home; do
    [ -n "$c" ] && [ -x "$c/bin/javac" ] || continue
    if [ "$(r4j_java_major "$c/bin/java")" -ge 25 ] 2>/dev/null; then export JAVA_HOME="$c"; break; fi
  done
  if [ -z "${JAVA_HOME:-}" ] || [ "$(r4j_java_major "$JAVA_HOME/bin/java")" -lt 25 ] 2>/dev/null; then
    if command -v javac >/dev/null && [ "$(r4j_java_major "$(command -v java)")" -ge 25 ] 2>/dev/null; then
      JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"; export JAVA_HOME
    else
      r4j_die "JDK 25 or newer is required and was not found (looked at \$JAVA_HOME and /usr/lib/jvm).
  Debian/Ubuntu: install Temurin 25 (apt-get install temurin-25-jdk from the Adoptium repository),
  or unpack any JDK 25 and run with JAVA_HOME=/path/to/jdk-25."
    fi
  fi
  export PATH="$JAVA_HOME/bin:$PATH"
}

r4j_find_maven() {
  command -v mvn >/dev/null && return
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "research4j: installing Maven (apt-get install maven)" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq maven) >&2 \
      || r4j_die "could not install Maven; install Apache Maven 3.8+ and retry"
  else
    r4j_die "Apache Maven 3.8+ is required: apt-get install maven (or brew install maven)"
  fi
}

R4J_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$R4J_ROOT/bin/jvm-flags.sh"
r4j_find_jdk
r4j_find_maven
