# Sourced by bin/syncline and .ci/run: exports JAVA_HOME pointing at a JDK >= 21, preferring 25.
# Fails with an explanation when none exists.
java_major() {
  "$1/bin/java" -version 2>&1 | head -n1 | sed -E 's/.*version "([0-9]+).*/\1/'
}
pick_java() {
  local candidate
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/java-25-openjdk-amd64 \
                   /usr/lib/jvm/temurin-21-jdk-amd64 /usr/lib/jvm/java-21-openjdk-amd64 \
                   "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")"; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    if [ "$(java_major "$candidate")" -ge 21 ] 2>/dev/null; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  done
  echo "error: Syncline needs a JDK 21 or newer (25 recommended); none found." >&2
  echo "       Install one (e.g. Temurin 25) and set JAVA_HOME to it." >&2
  return 1
}
pick_java || exit 1
