#!/usr/bin/env bash
# Runs the JMH microbenchmarks (sidecar/src/test/java/io/llmsidecar/bench) on the test classpath.
#   scripts/jmh.sh [JMH args...]     e.g. scripts/jmh.sh ChatRequestBenchmark -f 1 -wi 3 -i 5
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=${JAVA_HOME:-$(scripts/java-home.sh)}
mvn -B -q -pl sidecar -am test-compile dependency:build-classpath -Dmdep.outputFile=target/test.classpath \
    -Dmdep.includeScope=test >/dev/null
cp="sidecar/target/test-classes:sidecar/target/classes:$(cat sidecar/target/test.classpath)"
exec "$JAVA_HOME/bin/java" -cp "$cp" org.openjdk.jmh.Main "$@"
