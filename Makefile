# Thin wrapper over meson + ninja. Build directories:
#   build/       debugoptimized, the default          make, make test
#   build-asan/  gcc, ASan + UBSan                    make asan
#   build-tsan/  gcc, TSan                            make tsan
# make check runs all three, then a brief make fuzz (build-fuzz/, clang),
# and fails if any did. A build directory is set up once; after changing its
# options here, make clean (meson reconfigures itself when a meson.build
# changes).
#
# CI (CI set in the environment) builds with -Dwerror=true.

MESON        ?= meson
NINJA        ?= ninja
CLANG_FORMAT ?= clang-format
SAN_CC       ?= gcc

BUILD      := build
BUILD_ASAN := build-asan
BUILD_TSAN := build-tsan

SETUP_ARGS      := $(if $(CI),-Dwerror=true)
ASAN_SETUP_ARGS := $(SETUP_ARGS) -Db_sanitize=address,undefined -Db_lundef=false
TSAN_SETUP_ARGS := $(SETUP_ARGS) -Db_sanitize=thread

# Benchmarks are run on demand, not as tests.
TEST_ARGS ?= --print-errorlogs --no-suite bench

ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:verify_asan_link_order=0 \
	    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
TSAN_ENV := TSAN_OPTIONS='halt_on_error=1 second_deadlock_stack=1'

# What deps installs (Debian package names) and how each is detected.
DEPS := meson ninja-build pkg-config libfuse3-dev fuse3 pciutils driverctl mdevctl clang spin
have_meson        = command -v $(MESON) >/dev/null 2>&1
have_ninja-build  = command -v $(NINJA) >/dev/null 2>&1
have_pkg-config   = command -v pkg-config >/dev/null 2>&1
have_libfuse3-dev = pkg-config --exists fuse3 2>/dev/null
have_fuse3        = command -v fusermount3 >/dev/null 2>&1
have_pciutils     = command -v lspci >/dev/null 2>&1
have_driverctl    = command -v driverctl >/dev/null 2>&1
have_mdevctl      = command -v mdevctl >/dev/null 2>&1
have_clang        = command -v clang >/dev/null 2>&1
have_spin         = command -v spin >/dev/null 2>&1
missing_deps = for p in $(DEPS); do \
	case $$p in \
	meson) $(have_meson) ;; ninja-build) $(have_ninja-build) ;; \
	pkg-config) $(have_pkg-config) ;; libfuse3-dev) $(have_libfuse3-dev) ;; \
	fuse3) $(have_fuse3) ;; pciutils) $(have_pciutils) ;; \
	driverctl) $(have_driverctl) ;; mdevctl) $(have_mdevctl) ;; clang) $(have_clang) ;; spin) $(have_spin) ;; \
	esac || echo $$p; \
	done

# $(call meson_setup,DIR,ENV,ARGS): configure DIR unless it already is. A
# directory left half-configured by a failed setup is started afresh.
define meson_setup
	@if [ ! -f $(1)/build.ninja ]; then \
		echo "$(strip $(2) $(MESON) setup $(1) $(3))"; \
		rm -rf $(1) && env $(2) $(MESON) setup $(1) $(3); \
	fi
endef

demo: all
	./$(BUILD)/src/cli/uvfio tree
	./$(BUILD)/src/cli/uvfio run -- ./$(BUILD)/examples/edu-vfio

.PHONY: all demo test asan tsan check format format-check deps ensure-deps clean

all: ensure-deps
	$(call meson_setup,$(BUILD),,$(SETUP_ARGS))
	$(NINJA) -C $(BUILD)

test: all
	$(MESON) test -C $(BUILD) $(TEST_ARGS)

asan: ensure-deps
	$(call meson_setup,$(BUILD_ASAN),CC=$(SAN_CC),$(ASAN_SETUP_ARGS))
	$(NINJA) -C $(BUILD_ASAN)
	$(ASAN_ENV) $(MESON) test -C $(BUILD_ASAN) $(TEST_ARGS) --timeout-multiplier 3

tsan: ensure-deps
	$(call meson_setup,$(BUILD_TSAN),CC=$(SAN_CC),$(TSAN_SETUP_ARGS))
	$(NINJA) -C $(BUILD_TSAN)
	$(TSAN_ENV) $(MESON) test -C $(BUILD_TSAN) $(TEST_ARGS) --timeout-multiplier 3

# The full matrix. Each variant runs even when an earlier one failed.
check: ensure-deps
	@failed=; \
	for v in test asan tsan fuzz-brief; do \
		$(MAKE) --no-print-directory $$v || failed="$$failed $$v"; \
	done; \
	if [ -n "$$failed" ]; then echo "make check: FAILED:$$failed"; exit 1; fi; \
	echo "make check: all variants passed"

# Benchmarks (bench/README.md): their own release build in build-bench/, then
# bench/run.sh, which prints the table and writes build-bench/bench/results.md.
# BENCH_ARGS: e.g. --quick, --cpu none.
BUILD_BENCH := build-bench
BENCH_ARGS  ?=

.PHONY: bench
bench: ensure-deps
	$(call meson_setup,$(BUILD_BENCH),,$(SETUP_ARGS) --buildtype=release -Dtests=false -Ddebug-checks=false)
	bench/run.sh --build $(BUILD_BENCH) $(BENCH_ARGS)

# Fuzzing (tests/fuzz/meson.build): build-fuzz/ is a clang build with ASan +
# UBSan and libFuzzer coverage; each fuzzer runs FUZZ_SECONDS on a scratch
# copy of tests/fuzz/corpus/<target>/, as meson suite 'fuzz-run' (so .ci/run
# counts it like any test). make check runs it for CHECK_FUZZ_SECONDS. Without
# a clang that builds libFuzzer targets it is skipped, not failed. No werror:
# that policy is gcc's (clang's -Wextra differs), this build only hunts bugs.
BUILD_FUZZ         := build-fuzz
FUZZ_CC            ?= clang
FUZZ_SECONDS       ?= 30
CHECK_FUZZ_SECONDS ?= 20
FUZZ_SETUP_ARGS    := -Db_sanitize=address,undefined -Db_lundef=false \
		      -Dc_args=-fsanitize=fuzzer-no-link

.PHONY: fuzz fuzz-run fuzz-brief
fuzz: ensure-deps
	@if tests/fuzz/have-libfuzzer.sh $(FUZZ_CC); then \
		$(MAKE) --no-print-directory fuzz-run; \
	else \
		echo "fuzz: skipped: $(FUZZ_CC) cannot build libFuzzer targets"; \
	fi

fuzz-run:
	$(call meson_setup,$(BUILD_FUZZ),CC=$(FUZZ_CC),$(FUZZ_SETUP_ARGS))
	$(NINJA) -C $(BUILD_FUZZ) tests/fuzz/fuzz-proto tests/fuzz/fuzz-ioctl
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(MESON) test -C $(BUILD_FUZZ) --no-rebuild --suite fuzz-run \
		--print-errorlogs

fuzz-brief:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS)

# All tracked C sources.
C_FILES = git ls-files -z -- '*.c' '*.h'

format:
	$(C_FILES) | xargs -0 -r $(CLANG_FORMAT) -i

format-check:
	$(C_FILES) | xargs -0 -r $(CLANG_FORMAT) --dry-run -Werror

# Install what the build needs. As root (CI, fresh machines): apt-get update
# once, then install. Otherwise only report what is missing.
deps:
	@missing=$$($(missing_deps)); \
	if [ -z "$$missing" ]; then echo "deps: all present"; exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
		echo "deps: missing:" $$missing; \
		echo "deps: as root, run: apt-get install -y" $$missing; \
		exit 0; \
	fi; \
	echo "deps: installing:" $$missing; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -q && apt-get install -y -q $$missing

# Run deps when something is missing; stop here if meson still is.
ensure-deps:
	@if [ -n "$$($(missing_deps))" ]; then $(MAKE) --no-print-directory deps; fi
	@$(have_meson) && $(have_ninja-build) || \
		{ echo "meson and ninja are needed: make deps (as root)"; exit 1; }

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_TSAN)
	rm -rf $(BUILD_FUZZ)
