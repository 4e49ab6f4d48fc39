# The two commands of README.md: `make run` and `make test`. Both set up what is missing first.
SHELL := /bin/bash
JAVA_HOME := $(shell scripts/java-home.sh)
export JAVA_HOME
export PATH := $(CURDIR)/.tools/bin:$(JAVA_HOME)/bin:$(PATH)
# Quiet Maven's own Guava on JDK 24+, which warns about sun.misc.Unsafe on every run.
export MAVEN_OPTS ?= $(shell [ "$$($(JAVA_HOME)/bin/java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p')" -ge 24 ] && echo --sun-misc-unsafe-memory-access=allow)
MVN := mvn -B -q
JAR := sidecar/target/llm-sidecar.jar
# JDK 25+: an AOT cache of the classes and method profiles of a training run (JEP 483/514/515) halves the time to
# ready. It is made by the JVM that uses it; an older JDK runs without one.
AOT := sidecar/target/llm-sidecar.aot
JAVA_MAJOR := $(shell sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' $(JAVA_HOME)/release 2>/dev/null)
AOT_ENABLED := $(shell [ "$(JAVA_MAJOR)" -ge 25 ] 2>/dev/null && echo yes)
# -Xlog:aot*=error: the cache's harmless link warnings (JDK 25) would open every startup log.
AOT_FLAGS := $(if $(AOT_ENABLED),-XX:AOTCache=$(AOT) -Xlog:aot*=error)

.PHONY: run test e2e build bench setup-run setup-test setup-bench clean

run: setup-run build
	java $(AOT_FLAGS) -jar $(JAR)

build: $(JAR) $(if $(AOT_ENABLED),$(AOT))

# setup-run (order-only: it never makes the jar out of date) installs what the build runs: Maven and opa, which
# compiles the bundled policies. Without it a fresh clone failed with Maven's exec error 127.
$(JAR): pom.xml sidecar/pom.xml $(shell find sidecar/src/main policies -type f 2>/dev/null) | setup-run
	$(MVN) -DskipTests package

# The training run (`java -jar llm-sidecar.jar train`) serves canned traffic on loopback, then the JVM writes the cache.
$(AOT): $(JAR)
	java -XX:AOTCacheOutput=$(AOT) -Xlog:aot*=off -Xlog:cds*=off -jar $(JAR) train >/dev/null

# Test logs go to files (see the surefire/failsafe configuration); the run ends with scripts/test-summary.sh, whose
# last line is `Tests: <passed> passed, <failed> failed`. Old reports are removed first so the summary is this run's.
test: setup-test
	@rm -rf sidecar/target/surefire-reports sidecar/target/failsafe-reports sidecar/target/opa-test.txt \
	        sidecar/target/test-logs
	@status=0; $(MVN) verify || status=$$?; scripts/test-summary.sh; exit $$status

# The injector and the bundle against a real kube-apiserver on loopback (docs/KUBERNETES.md); builds it the first time.
e2e: setup-test
	scripts/e2e/run.sh

# End-to-end benchmark (docs/BENCHMARKS.md); BENCH_DURATION=2s BENCH_ROUNDS=1 ... for a smoke run, see scripts/bench/run.sh.
bench: setup-bench build
	scripts/bench/run.sh

setup-run:
	@scripts/setup.sh run

setup-test:
	@scripts/setup.sh test

setup-bench:
	@scripts/setup.sh bench

clean:
	$(MVN) clean
