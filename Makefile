# ScanGate build and test entry points. `make test` is the one CI runs.
GO ?= go

.PHONY: test deps vet build bench fuzz run clean

## test: install missing system packages, then vet and run every test with the race detector
test: deps vet
	$(GO) test -race -count=1 ./...

## deps: make sure redis-server (integration tests) and Chromium (browser tests) are installed
deps:
	@missing=""; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
		command -v google-chrome >/dev/null 2>&1 || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; \
		elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; \
		else echo "cannot install$$missing: run as root: apt-get update && apt-get install -y$$missing" >&2; exit 1; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq$$missing || { \
			echo "apt-get failed: install by hand with: apt-get update && apt-get install -y$$missing" >&2; exit 1; }; \
	fi

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed on:"; gofmt -l .; exit 1; }
	$(GO) vet ./...

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o bin/gateway ./cmd/gateway

## bench: the benchmarks whose figures the README quotes
bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

run:
	$(GO) run ./cmd/gateway

clean:
	rm -rf bin
