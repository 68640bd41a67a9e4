# The two quick-start commands: `make run` and `make test`. Both install missing Debian packages first.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
TENANTRY := $(BUILD_DIR)/tenantry

.PHONY: deps configure build run test bench format clean

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) > /dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Embedded PostgreSQL under ./var, migrations, demo stores on first run, then the server.
run: build
	@$(TENANTRY) serve --migrate --demo

# Every test, against one throwaway PostgreSQL cluster for the run.
test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $$(( $(JOBS) * 2 ))

# The benchmark harness (issue 6): builds Release in build-bench, runs bench/run; options via BENCH_ARGS,
# e.g. `make bench BENCH_ARGS="--quick"`. Results in bench/results/, see docs/performance.md.
bench: deps
	@bench/run $(BENCH_ARGS)

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	@rm -rf $(BUILD_DIR)
