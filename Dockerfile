# trino-buffer-exporter container image.
# Every RUN step calls a script that tests/deploy also runs (no Docker needed
# to test them): scripts/setup.sh, scripts/docker-build-stage.sh,
# scripts/docker-runtime-stage.sh.
#   docker build -t trino-buffer-exporter:0.1.0 .
#   buildah bud -t trino-buffer-exporter:0.1.0 .
#   scripts/image.sh   (buildah without daemon or registry: makes the
#                       debian:bookworm-slim base locally, builds, runs the
#                       image against the simulator, prints its size)
# The build stage needs only the build packages; the runtime stage holds the
# runtime libraries, the two binaries and the config, and runs as 65532.

FROM debian:bookworm-slim AS build
WORKDIR /src
COPY scripts/setup.sh scripts/install-helm.sh scripts/
RUN ["bash", "scripts/setup.sh", "--build"]
COPY . .
RUN ["bash", "scripts/docker-build-stage.sh", "/src", "/src/build-docker", "/out"]

FROM debian:bookworm-slim
COPY scripts/setup.sh scripts/docker-runtime-stage.sh /tmp/tbe/
COPY --from=build /out/ /
RUN ["bash", "/tmp/tbe/docker-runtime-stage.sh", "/"]
USER 65532:65532
EXPOSE 8000
# The supervisor is PID 1: it reaps its collectors and handles SIGTERM.
ENTRYPOINT ["/usr/bin/trino-buffer-exporter"]
CMD ["--config", "/etc/trino-buffer-exporter/exporter.conf"]
