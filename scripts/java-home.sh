#!/usr/bin/env bash
# Prints the path of a JDK 21+ to use as JAVA_HOME: $JAVA_HOME if it is new enough, else the newest JDK 21+ in the
# system JVM directory (Temurin first). Exits 1 with install instructions when there is none.
set -euo pipefail

major_of() {
  local home=$1 v=""
  if [[ -f "$home/release" ]]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release")
  fi
  if [[ -z "$v" && -x "$home/bin/java" ]]; then
    v=$("$home/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
  fi
  echo "${v:-0}"
}

if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/javac" && $(major_of "$JAVA_HOME") -ge 21 ]]; then
  echo "$JAVA_HOME"; exit 0
fi

best="" best_major=0
for dir in /usr/lib/jvm/temurin-* /usr/lib/jvm/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
  [[ -x "$dir/bin/javac" ]] || continue
  m=$(major_of "$dir")
  if (( m >= 21 && m > best_major )); then best=$dir best_major=$m; fi
done
if [[ -n "$best" ]]; then echo "$best"; exit 0; fi

cat >&2 <<'MSG'
No JDK 21 or newer found (checked $JAVA_HOME and /usr/lib/jvm). Helidon 4 needs Java 21+.
Install one, for example:
  Debian/Ubuntu:  sudo apt-get install temurin-21-jdk   (Adoptium repository) or openjdk-21-jdk
  macOS:          brew install --cask temurin@21
  SDKMAN:         sdk install java 21-tem
then run make again, or point JAVA_HOME at it.
MSG
exit 1
