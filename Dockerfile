# syntax=docker/dockerfile:1
# ScanGate: a static binary on a distroless, non-root base (~25 MB image).

FROM golang:1.26-bookworm AS build
WORKDIR /src
# Dependencies first, so code changes do not re-download modules.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# timetzdata embeds the IANA zones (stats.timezone, the API's tz) so the
# image needs no tzdata package.
RUN CGO_ENABLED=0 go build -trimpath -tags timetzdata -ldflags="-s -w" -o /out/gateway ./cmd/gateway
# The stats spool's home, made here because the runtime image has no shell.
RUN mkdir -p /out/state/spool

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/gateway /usr/local/bin/gateway
COPY config.yaml /etc/scangate/config.yaml
COPY --from=build --chown=65532:65532 /out/state /var/lib/scangate
ENV SCANGATE_CONFIG=/etc/scangate/config.yaml \
    SCANGATE_STATS_SPOOL_DIR=/var/lib/scangate/spool
# Scans served while Redis is down wait here and are written once it is
# back, also after a restart: mount a volume, one per container (the spool
# is locked by its process), e.g. docker run -v scangate-spool:/var/lib/scangate
VOLUME /var/lib/scangate
USER nonroot:nonroot
EXPOSE 8080
# Distroless has no shell or curl: the binary checks its own /healthz.
HEALTHCHECK --interval=15s --timeout=3s --start-period=5s --retries=3 CMD ["/usr/local/bin/gateway", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/gateway"]
CMD ["serve"]
