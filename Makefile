# The two quick-start commands: `make run` and `make test`. Both install missing Debian packages first.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
TENANTRY := $(BUILD_DIR)/tenantry
CTEST_JOBS := $$(( $(JOBS) * 2 ))

.PHONY: deps configure build run test check test-unit build-asan test-asan tidy bench format clean

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) > /dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Embedded PostgreSQL under ./var, migrations, demo stores on first run, then the server.
run: build
	@$(TENANTRY) serve --migrate --demo

# What CI runs (.ci/run), each step failing the whole: the normal build (GCC 12) and the whole suite, then
# the `asan` preset (Clang 19 with ASan + UBSan; a finding aborts its test) and the whole suite again, then
# clang-tidy over that Clang build. Measured once each from scratch on 2 cores without ccache (CI has none on
# its clean clone): GCC RelWithDebInfo build 6.4 min, suite 1.1 min; Clang ASan + UBSan build 6.7 min,
# suite 1.3 min; clang-tidy 3.6 min: 19 minutes. So one Clang build covers both "Clang passes" and
# "the sanitizer suite": a plain Clang build (`cmake --preset clang`, 3.2 min + its suite) would only add
# -O2 with NDEBUG to what the Clang sanitizer build compiles, and take CI past 20 minutes.
test: check test-asan tidy

# The normal suite only: the developer's loop (`ctest -L unit` in build/ for the seconds-long unit tests).
check: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(CTEST_JOBS)

test-unit: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(CTEST_JOBS) -L unit

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer (Clang 19, build-asan/).
test-asan: build-asan
	@ctest --preset asan -j $(CTEST_JOBS)

build-asan: deps
	@cmake --preset asan > /dev/null
	@cmake --build --preset asan -j $(JOBS)

# clang-tidy (.clang-tidy) over our sources, with the Clang build's compile_commands.json (and its generated
# headers); any finding fails.
tidy: build-asan
	@run-clang-tidy-19 -p build-asan -j $(JOBS) -quiet '^$(CURDIR)/(src|apps|tests|bench)/' \
	  > build-asan/tidy.log 2>&1 || { grep -E -A3 'error:|warning:' build-asan/tidy.log | head -100; \
	  echo "clang-tidy: findings above, all in build-asan/tidy.log"; exit 1; }
	@echo "clang-tidy: clean"

# The benchmark harness (issue 6): builds Release in build-bench, runs bench/run; options via BENCH_ARGS,
# e.g. `make bench BENCH_ARGS="--quick"`. Results in bench/results/, see docs/performance.md.
bench: deps
	@bench/run $(BENCH_ARGS)

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	@rm -rf $(BUILD_DIR) build-asan build-clang
