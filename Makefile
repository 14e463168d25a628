# The README's test command is `make test`; .ci/run runs exactly this target.
GO ?= go

.PHONY: test vet race check bench-smoke

test: vet race check bench-smoke

vet:
	$(GO) vet ./...
	cd benchmarks && $(GO) vet ./...

race:
	$(GO) test -race ./...
	cd benchmarks && $(GO) test -race ./...

# hotpath's own //hotpath: directives (its hot paths and examples/escape) must hold. -test compiles the
# test files too, which instantiate the generic views.
check:
	$(GO) run ./cmd/hotpath check -test ./...

# Every benchmark once, so none rots; speed goals live in the numbers, not here. -short keeps the
# escape speed benchmark off two cold builds of net/http's closure.
bench-smoke:
	cd benchmarks && $(GO) test -short -run '^$$' -bench . -benchtime=1x ./...
