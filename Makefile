# Wangge developer tasks. `make test` is the test command of the README and CI.
# Set WANGGE_TEST_POSTGRES=postgres://... to run the storage tests on PostgreSQL too.

GO ?= go

.PHONY: test test-race test-demo lint run bench bench-smoke fuzz

## test: the whole suite: race-checked unit and storage tests, then the demo county end to end
test: test-race test-demo

test-race:
	$(GO) test -race -short ./...

# Seeding 280,000 residents under the race detector takes minutes; the demo
# test runs without it.
test-demo:
	$(GO) test -run 'TestDemoCounty' -count=1 ./internal/app/

## lint: formatting and vet (staticcheck too when installed)
lint:
	@test -z "$$(gofmt -l .)" || (gofmt -l . && echo "gofmt needed" && exit 1)
	$(GO) vet ./...
	@if command -v staticcheck >/dev/null; then staticcheck ./...; fi

## run: the demo county on http://127.0.0.1:8080
run:
	$(GO) run ./cmd/wangge demo

## bench: the benchmarks recorded in docs/PERFORMANCE.md
bench:
	$(GO) test -run '^$$' -bench . -benchtime 2s -count 5 ./calendar/ ./internal/geo/ ./internal/sqlstore/ ./internal/demo/ ./internal/pii/ ./internal/app/

## bench-smoke: each `wangge bench` at a tiny size, to see that it runs (no timing asserted; about a minute)
bench-smoke:
	$(GO) run ./cmd/wangge bench intake --seconds 3 --warmup 1
	$(GO) run ./cmd/wangge bench intake --seconds 2 --warmup 0.5 --via api --no-baseline
	$(GO) run ./cmd/wangge bench locate --seconds 2 --warmup 0.5
	$(GO) run ./cmd/wangge bench scheduler --cases 10000 --rate 200 --seconds 5 --json
	$(GO) run ./cmd/wangge bench mixed --scale 5 --seconds 5 --warmup 3 --grids 4 --persons 5

## fuzz: each fuzz target for a short while
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParseIDNumber -fuzztime 20s .
	$(GO) test -run '^$$' -fuzz FuzzParseFeatureCollection -fuzztime 20s ./internal/geo/
	$(GO) test -run '^$$' -fuzz FuzzParseLatLon -fuzztime 20s ./internal/geo/
	$(GO) test -run '^$$' -fuzz FuzzParseOverrides -fuzztime 20s ./calendar/
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 20s -fuzzminimizetime 5s ./catalogue/
	$(GO) test -run '^$$' -fuzz FuzzStripMetadata -fuzztime 20s ./internal/photo/
