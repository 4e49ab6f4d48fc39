# syntax=docker/dockerfile:1
# The sidecar image; the same image runs the injector (`inject`). Build from the repository root:
#   docker build -t llm-sidecar:dev .
# See docs/KUBERNETES.md for pushing it and pointing the kustomize overlays at it.

# OPA 1.10.x: the newest release whose Wasm output (ABI 1.3) the OPA Java SDK reads; see scripts/setup.sh.
FROM openpolicyagent/opa:1.10.1-static AS opa

FROM maven:3.9.9-eclipse-temurin-21 AS build
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

FROM eclipse-temurin:21-jre-noble
# A fixed numeric non-root user, so Kubernetes can verify runAsNonRoot; the injector sets the same id on sidecars.
RUN groupadd --system --gid 65532 sidecar \
    && useradd --system --uid 65532 --gid 65532 --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin sidecar
# opa compiles the mounted policies at run time.
COPY --from=opa /opa /usr/local/bin/opa
COPY --from=build /src/sidecar/target/libs /app/libs
COPY --from=build /src/sidecar/target/llm-sidecar.jar /app/llm-sidecar.jar
USER 65532:65532
EXPOSE 8686 9464 8443
# The heap follows the container's memory limit; the root filesystem may be read-only (no perf data file in /tmp).
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=60", "-XX:+ExitOnOutOfMemoryError", "-XX:-UsePerfData", \
            "-jar", "/app/llm-sidecar.jar"]
CMD ["serve"]
