# Dataproc IIS. `make help` lists the targets.
GO        ?= go
PKGS      ?= ./...
DATA_DIR  ?= .iis
BENCHTIME ?= 1s
BENCH_E2E_N ?= 500x

# What `iis version`, the start logs and the image labels report. Override on
# the command line for a release: make image VERSION=v1.2.0
VERSION_PKG := github.com/dataproc-iis/iis/internal/version
VERSION     := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION    := $(shell git rev-parse HEAD 2>/dev/null)
MODIFIED    := $(shell git rev-parse --git-dir >/dev/null 2>&1 && { test -z "$$(git status --porcelain 2>/dev/null)" && echo false || echo true; })
LDFLAGS     := -X $(VERSION_PKG).version=$(VERSION) -X $(VERSION_PKG).revision=$(REVISION) $(if $(MODIFIED),-X $(VERSION_PKG).modified=$(MODIFIED))
SOURCE_DATE_EPOCH := $(shell git log -1 --format=%ct 2>/dev/null)
IMAGE_LAYOUT ?= bin/image
IMAGE_TAR    ?= bin/iis-image.tar
IMAGE_ARCH   ?= amd64
CA_CERTS     ?= /etc/ssl/certs/ca-certificates.crt

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build the iis binary into bin/.
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/iis ./cmd/iis

.PHONY: run
run: ## Run the broker on the all-local default (pstest, local IAM/Dataproc, SQLite in $(DATA_DIR)).
	$(GO) run -ldflags "$(LDFLAGS)" ./cmd/iis dev --data-dir $(DATA_DIR)

.PHONY: image
image: ## Build the container image without an engine: OCI layout in $(IMAGE_LAYOUT), tarball $(IMAGE_TAR) (docker load, crane push).
	$(GO) run ./internal/ociimage/mkimage -version "$(VERSION)" -revision "$(REVISION)" -modified="$(or $(MODIFIED),false)" \
	  -arch $(IMAGE_ARCH) -ca-certs $(CA_CERTS) -source-date-epoch "$(SOURCE_DATE_EPOCH)" -layout $(IMAGE_LAYOUT) -tar $(IMAGE_TAR)

.PHONY: docker-image
docker-image: ## Build the same image from the Dockerfile with a Docker engine (not available in this repository's CI).
	docker build --build-arg VERSION="$(VERSION)" --build-arg REVISION="$(REVISION)" --build-arg MODIFIED="$(or $(MODIFIED),false)" \
	  --build-arg SOURCE_DATE_EPOCH="$(SOURCE_DATE_EPOCH)" -t iis:$(VERSION) .

.PHONY: test
test: vet fmt-check tidy-check ## Run every check and test (what CI runs).
	$(GO) test -race -count=1 $(PKGS)

.PHONY: vet
vet: ## go vet.
	$(GO) vet $(PKGS)

.PHONY: fmt-check
fmt-check: ## Fail if gofmt would change a file.
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

.PHONY: tidy-check
tidy-check: ## Fail if go mod tidy would change go.mod or go.sum.
	$(GO) mod tidy -diff

.PHONY: bench
bench: ## Run the benchmarks (go test -bench, with -benchmem).
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) $(PKGS)

.PHONY: test-chaos
test-chaos: ## Chaos test: iis dev + 3 `iis serve` on PostgreSQL, 1,000 requests, SIGKILLs, leavers (needs IIS_TEST_POSTGRES_DSN).
	IIS_CHAOS=1 $(GO) test -count=1 -v -run '^TestChaos$$' -timeout 10m ./internal/chaos/

.PHONY: bench-e2e
bench-e2e: ## End-to-end decisions/s and p50/p99 latency (transport ceiling, no-op, decide, execute; 1, 3, 6 workers), latency at 80% of peak, mass leaver (PostgreSQL needs IIS_TEST_POSTGRES_DSN).
	$(GO) test -run '^$$' -bench 'EndToEnd|Latency' -benchmem -benchtime $(BENCH_E2E_N) -timeout 60m ./internal/throughput/
	$(GO) test -run '^$$' -bench MassLeaver -benchtime 1x -timeout 20m ./internal/throughput/

.PHONY: screenshots
screenshots: ## Drive the timeline page in headless Chromium and write its screenshots to docs/.
	IIS_UPDATE_SCREENSHOTS=1 $(GO) test -count=1 -run '^TestTimelineInABrowser$$' ./cmd/iis/

.PHONY: fuzz
fuzz: ## Fuzz the outside-facing decoders for 20s each.
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime 20s ./events/
	$(GO) test -run '^$$' -fuzz '^FuzzFilterSQL$$' -fuzztime 20s ./broker/scim/

.PHONY: fmt
fmt: ## Format the code.
	gofmt -w $$(git ls-files '*.go')

.PHONY: clean
clean: ## Remove build output and the local data directory.
	rm -rf bin $(DATA_DIR)
