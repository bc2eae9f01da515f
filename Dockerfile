# syntax=docker/dockerfile:1
#
# The iis image for a machine with a container engine:
#   make docker-image            (passes VERSION, REVISION, MODIFIED, SOURCE_DATE_EPOCH)
# Without one, `make image` builds the same image (internal/ociimage): same
# entrypoint, user, working directory, port, labels and build flags, which
# internal/ociimage's tests check against this file. Pin both base images by
# digest in your own build pipeline.

ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Modules first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
ARG REVISION=unknown
ARG MODIFIED=false
ARG TARGETARCH=amd64
# Static (no libc in the final image), reproducible, with the zone database
# embedded (policy conditions may name a time zone) and the version linked in.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=linux GOARCH=${TARGETARCH} go build -trimpath -tags timetzdata \
      -ldflags "-s -w -buildid= -X github.com/dataproc-iis/iis/internal/version.version=${VERSION} -X github.com/dataproc-iis/iis/internal/version.revision=${REVISION} -X github.com/dataproc-iis/iis/internal/version.modified=${MODIFIED}" \
      -o /out/iis ./cmd/iis

# distroless static: CA certificates, /etc/passwd with nonroot (65532), no shell.
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="iis" \
      org.opencontainers.image.description="Dataproc IIS: identity-aware access broker for Google Cloud Dataproc" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=build --chown=0:0 --chmod=0555 /out/iis /iis
USER 65532:65532
WORKDIR /home/nonroot
# Cloud Run sets PORT; `iis serve` and `iis scim` listen on :$PORT.
ENV PORT=8080
EXPOSE 8080
ENTRYPOINT ["/iis"]
