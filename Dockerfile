# syntax=docker/dockerfile:1
# The sidecar image; the same image runs the injector (`inject`). Build from the repository root:
#   docker build -t llm-sidecar:dev .
# See docs/KUBERNETES.md for pushing it and pointing the kustomize overlays at it.

# OPA 1.10.x: the newest release whose Wasm output (ABI 1.3) the OPA Java SDK reads; see scripts/setup.sh.
FROM openpolicyagent/opa:1.10.1-static AS opa

FROM maven:3.9.11-eclipse-temurin-25 AS build
WORKDIR /src
COPY --from=opa /opa /usr/local/bin/opa
# Dependencies first, so that a source change does not download them again.
COPY pom.xml ./
COPY sidecar/pom.xml sidecar/
RUN mvn -B -q -pl sidecar -am dependency:go-offline
COPY sidecar/src sidecar/src
COPY policies policies
COPY scripts/opa.sh scripts/build-policies.sh scripts/
# The tests ran in CI (`make test`). The build compiles the bundled policies to Wasm with the opa on PATH.
RUN mvn -B -q -DskipTests package

# The AOT cache (JEP 483/514/515) must be made by the very JVM that will use it, at the same jar path: train in the
# runtime image itself. `train` serves canned traffic on loopback and exits; the cache is written at exit. Its standard
# output is the training sidecar's access and decision logs; the summary is on standard error.
FROM eclipse-temurin:25-jre-noble AS aot
COPY --from=build /src/sidecar/target/libs /app/libs
COPY --from=build /src/sidecar/target/llm-sidecar.jar /app/llm-sidecar.jar
RUN java -XX:AOTCacheOutput=/app/llm-sidecar.aot -Xlog:aot*=off -Xlog:cds*=off -jar /app/llm-sidecar.jar train >/dev/null

FROM eclipse-temurin:25-jre-noble
# A fixed numeric non-root user, so Kubernetes can verify runAsNonRoot; the injector sets the same id on sidecars.
RUN groupadd --system --gid 65532 sidecar \
    && useradd --system --uid 65532 --gid 65532 --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin sidecar
# opa compiles the mounted policies at run time.
COPY --from=opa /opa /usr/local/bin/opa
COPY --from=build /src/sidecar/target/libs /app/libs
COPY --from=build /src/sidecar/target/llm-sidecar.jar /app/llm-sidecar.jar
COPY --from=aot /app/llm-sidecar.aot /app/llm-sidecar.aot
USER 65532:65532
EXPOSE 8686 9464 8443
# JVM flags chosen by measurement (docs/BENCHMARKS.md, "The JVM as a sidecar" and issue 19 item 12): the AOT cache of
# the training run; the serial collector (one GC thread, no concurrent overhead, the JVM's own choice at 1 CPU); a heap
# of a sixth of the container's memory limit (65 MiB at the injector's 384Mi: the ~17 MB live set plus the in-flight
# body budget, server.max-inflight-body-bytes; both percentages, because from MaxRAMPercentage alone the JVM never
# sizes a heap below its default maximum, ~126 MiB); the C heap trimmed every 2 s (the JIT's freed arenas otherwise
# stay resident); small thread stacks and a bounded code cache. Exit on OOM so the kubelet restarts a clean JVM; the
# root filesystem may be read-only (no perf data file in /tmp).
ENTRYPOINT ["java", "-XX:AOTCache=/app/llm-sidecar.aot", "-Xlog:aot*=error", "-XX:+UseSerialGC", \
            "-XX:MaxRAMPercentage=17", "-XX:MinRAMPercentage=17", "-XX:TrimNativeHeapInterval=2000", \
            "-Xss256k", "-XX:ReservedCodeCacheSize=48m", "-XX:+ExitOnOutOfMemoryError", "-XX:-UsePerfData", \
            "-jar", "/app/llm-sidecar.jar"]
CMD ["serve"]
