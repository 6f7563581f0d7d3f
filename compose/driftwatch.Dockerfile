# syntax=docker/dockerfile:1
# driftwatch images, multi-stage, Debian 12, non-root:
#   docker build -f compose/driftwatch.Dockerfile --target infer-server   -t driftwatch/infer-server .
#   docker build -f compose/driftwatch.Dockerfile --target drift-exporter -t driftwatch/drift-exporter .
#   docker build -f compose/driftwatch.Dockerfile --target nats -t driftwatch/nats .
# (context = repository root; docker-compose.yaml does this.) The build stage is
# shared: both binaries come from one CMake build. Each runtime stage installs
# only the Debian packages that own the libraries its binaries link
# (compose/runtime-packages.sh; the exporter's include libnats3.4 for
# --publish and --source), plus curl for the health check. The nats stage is
# Debian's nats-server with JetStream, the version the tests run against.

########################################################################## build
FROM debian:12 AS build
ENV DEBIAN_FRONTEND=noninteractive
COPY scripts/install-deps.sh /tmp/install-deps.sh
RUN bash /tmp/install-deps.sh && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN rm -rf build \
 && cmake --preset release \
 && cmake --build build/release --target infer-server drift-exporter \
 && (cmake --build build/release --target ringtail || echo "ringtail not built; image goes without it")
RUN mkdir -p /out/server /out/exporter \
 && cp build/release/server/infer-server /out/server/ \
 && cp build/release/exporter/drift-exporter /out/exporter/ \
 && (cp "$(find build/release/tools -type f -name ringtail -perm -u+x | head -n1)" /out/exporter/ 2>/dev/null || true) \
 && strip --strip-unneeded /out/server/* /out/exporter/* \
 && sh compose/runtime-packages.sh /out/server/* > /out/server-packages.txt \
 && sh compose/runtime-packages.sh /out/exporter/* > /out/exporter-packages.txt \
 && cat /out/server-packages.txt /out/exporter-packages.txt

######################################################################## runtime
FROM debian:12 AS runtime-base
ENV DEBIAN_FRONTEND=noninteractive
RUN groupadd --system --gid 10001 driftwatch \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin driftwatch

FROM runtime-base AS infer-server
COPY --from=build /out/server-packages.txt /tmp/packages.txt
RUN apt-get update \
 && xargs -a /tmp/packages.txt apt-get install -y --no-install-recommends curl ca-certificates \
 && rm -rf /var/lib/apt/lists/* /tmp/packages.txt \
 && mkdir -p /models
COPY --from=build /out/server/ /usr/local/bin/
# Every flag also reads DRIFTWATCH_<FLAG> (docs/interfaces.md); flags win.
ENV DRIFTWATCH_LISTEN=0.0.0.0 \
    DRIFTWATCH_PORT=8080 \
    DRIFTWATCH_RING=/driftwatch \
    DRIFTWATCH_MODEL=/models/fashion_cnn.pt \
    DRIFTWATCH_MODEL_CONFIG=/models/fashion_cnn.json
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s \
  CMD curl -fsS http://127.0.0.1:8080/healthz >/dev/null || exit 1
ENTRYPOINT ["/usr/local/bin/infer-server"]

FROM runtime-base AS drift-exporter
COPY --from=build /out/exporter-packages.txt /tmp/packages.txt
RUN apt-get update \
 && xargs -a /tmp/packages.txt apt-get install -y --no-install-recommends curl ca-certificates \
 && rm -rf /var/lib/apt/lists/* /tmp/packages.txt \
 && install -d -o 10001 -g 10001 /var/cache/driftwatch /var/lib/driftwatch
COPY --from=build /out/exporter/ /usr/local/bin/
ENV DRIFTWATCH_LISTEN=0.0.0.0 \
    DRIFTWATCH_PORT=9400 \
    DRIFTWATCH_RING=/driftwatch \
    DRIFTWATCH_CACHE=/var/cache/driftwatch/mmd-thresholds.cache
USER 10001:10001
EXPOSE 9400
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD curl -fsS http://127.0.0.1:9400/healthz >/dev/null || exit 1
ENTRYPOINT ["/usr/local/bin/drift-exporter"]

# NATS with JetStream for fleet records (docs/fleet.md): Debian's nats-server,
# the one the tests run. The store (--store_dir) is a volume owned by 10001.
FROM runtime-base AS nats
RUN apt-get update \
 && apt-get install -y --no-install-recommends nats-server curl ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && install -d -o 10001 -g 10001 /var/lib/nats
USER 10001:10001
EXPOSE 4222 8222
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s \
  CMD curl -fsS "http://127.0.0.1:8222/healthz?js-enabled-only=true" >/dev/null || exit 1
ENTRYPOINT ["/usr/sbin/nats-server"]
CMD ["--jetstream", "--store_dir=/var/lib/nats", "--port=4222", "--http_port=8222"]
