# Faultline — plain GNU make, no generator.
#
#   make                 everything into build/
#   make check           unit tests (no root, no network)
#   make test-integration  root: host kernel, network namespaces
#   make test-vm         real-kernel tests under qemu (Debian's stock kernel)
#   make test            all tiers, ending with one "N passed, N failed, N skipped" line
#   make bench           benchmarks (bench/RESULTS.md)
#   make demo            the main job (see README)
#   make install         PREFIX=/usr/local DESTDIR=
#   make image           OCI images of the agent and the controller (docs/kubernetes.md)
#   make format | format-check
#   make SANITIZE=address,undefined ...
#   make deps            install the Debian packages the build and the tests need

CC ?= gcc
ifeq ($(origin CC),default)
CC := gcc
endif
CLANG ?= clang
# Sanitizer builds get their own tree so objects never mix.
ifneq ($(SANITIZE),)
BUILD ?= build-$(subst $(comma),-,$(SANITIZE))
else
BUILD ?= build
endif
comma := ,
PREFIX ?= /usr/local
DESTDIR ?=

PKGS := libmnl libnftnl libmicrohttpd jansson libcurl gnutls yaml-0.1 rdkafka
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lmnl -lnftnl -lmicrohttpd -ljansson -lcurl -lgnutls -lyaml -lrdkafka)

WARN := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla \
	-Wimplicit-fallthrough -Wnull-dereference
HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu17 $(WARN) $(HARDEN)
# Only what every part may include; a part's own folders come from MODULE_CPPFLAGS below.
CPPFLAGS += -D_GNU_SOURCE -Ithird_party/uapi -Icommon/include -Inetem/include $(PKG_CFLAGS)
LDFLAGS += -pie -Wl,-z,relro,-z,now
LDLIBS += $(PKG_LIBS) -lm -lpthread

# Tests only: the witness (tests/lib/witness.c) judges leftovers with libnl, which no binary
# Faultline ships links.
TEST_PKGS := libnl-3.0 libnl-route-3.0
TEST_PKG_CFLAGS := $(shell pkg-config --cflags $(TEST_PKGS) 2>/dev/null || echo -I/usr/include/libnl3)
TEST_PKG_LIBS := $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null || echo -lnl-route-3 -lnl-3)

# CI=true and CI=1 both mean CI.
ifneq ($(filter true 1,$(CI)),)
CFLAGS += -Werror
endif
ifneq ($(SANITIZE),)
CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZE)
endif

# ---- sources --------------------------------------------------------------------------
COMMON_SRC := $(wildcard common/src/*.c)
NETEM_SRC := $(wildcard netem/src/*.c)
# The controller: one folder per capability, each with a module.mk saying its job and the
# modules it may use (docs/design.md). A module's files are compiled with the include
# folders of itself and of what it may use, and nothing else: an include that crosses the
# layering does not compile (scripts/check-layers.sh says which and why, in make check).
CONTROLLER_MODULES := util hooks experiment kubernetes agentapi probes kafka report schedule engine cli
include $(foreach m,$(CONTROLLER_MODULES),controller/$(m)/module.mk)
# The modules m may use, directly or through another (the layering is acyclic).
uses_closure = $(sort $(foreach u,$(1),$(u) $(call uses_closure,$($(u)_USES))))
module_inc = $(foreach u,$(1) $(call uses_closure,$($(1)_USES)),$(addprefix -I,$($(u)_DIRS)))
$(foreach m,$(CONTROLLER_MODULES),$(eval \
	$(BUILD)/obj/controller/$(m)/%.o $(BUILD)/tobj/controller/$(m)/%.o: \
		MODULE_CPPFLAGS := $(call module_inc,$(m))))
# The include flags a module's files compile with (tests/unit/test-check-layers.sh).
print-module-cppflags:
	@echo $(call module_inc,$(M)) $(CPPFLAGS)
CONTROLLER_ALL_INC := $(foreach m,$(CONTROLLER_MODULES),$(addprefix -I,$($(m)_DIRS)))
# main.c is the CLI's entry; everything else is also linked into tests.
CONTROLLER_MAIN := controller/cli/main.c
CONTROLLER_SRC := $(filter-out $(CONTROLLER_MAIN),\
	$(foreach m,$(CONTROLLER_MODULES),$(foreach d,$($(m)_DIRS),$(wildcard $(d)/*.c))))
# The agent: main.c is the daemon's entry; everything else is also linked into tests.
AGENT_MAIN := agent/src/main.c
AGENT_SRC := $(filter-out $(AGENT_MAIN),$(wildcard agent/src/*.c))
TESTLIB_SRC := $(wildcard tests/lib/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
INTEG_SRC := $(wildcard tests/integration/test_*.c)
VM_SRC := $(wildcard tests/vm/vm_*.c)
BENCH_SRC := $(wildcard bench/bench_*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
tobj = $(patsubst %.c,$(BUILD)/tobj/%.o,$(1))

LIB_COMMON := $(BUILD)/libfl-common.a
LIB_NETEM := $(BUILD)/libfl-netem.a
TLIB_COMMON := $(BUILD)/t/libfl-common.a
TLIB_NETEM := $(BUILD)/t/libfl-netem.a
TLIB_TEST := $(BUILD)/t/libfltest.a
LIB_AGENT := $(BUILD)/libfl-agent.a
TLIB_AGENT := $(BUILD)/t/libfl-agent.a
LIB_CONTROLLER := $(BUILD)/libfl-controller.a
TLIB_CONTROLLER := $(BUILD)/t/libfl-controller.a

FAULTLINE := $(BUILD)/faultline
AGENT := $(BUILD)/faultline-agent
LABCTL := $(BUILD)/lab/labctl
PIPELINE_BINS := $(BUILD)/lab/loader $(BUILD)/lab/connector $(BUILD)/lab/verify
# What we ship: none of it holds test-only code (tests/unit/test-release-clean.sh).
RELEASE_BINS := $(FAULTLINE) $(AGENT) $(LABCTL) $(PIPELINE_BINS)
# Test builds of the two programs, from the test objects (build/t/, never installed): the
# only ones with the test hooks (FL_AGENT_CRASH_AT, FL_AGENT_TEST_REVERT_FAILURES,
# FAULTLINE_SCHEDULE_RUNNER; docs/agent-api.md, docs/schedule.md).
TEST_FAULTLINE := $(BUILD)/t/faultline
TEST_AGENT := $(BUILD)/t/faultline-agent
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRC))
INTEG_BINS := $(patsubst tests/integration/%.c,$(BUILD)/tests/integration/%,$(INTEG_SRC))
VM_BINS := $(patsubst tests/vm/%.c,$(BUILD)/tests/vm/%,$(VM_SRC))
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

.PHONY: print-module-cppflags image image-always print-image-names all check test test-integration test-vm test-fuzz test-e2e bench demo netem-demo install format \
	format-check deps clean fuzz lint
all: $(RELEASE_BINS) $(TEST_FAULTLINE) $(TEST_AGENT) $(UNIT_BINS) $(INTEG_BINS) $(VM_BINS) \
	$(BENCH_BINS)

# ---- compile --------------------------------------------------------------------------
# Include folders beyond CPPFLAGS': the controller's per module (above); the agent's for
# the agent and the lab's CRI helper; the integrity check's for the lab pipeline, which
# links it from the controller; everything for tests and benchmarks, which reach into all.
$(BUILD)/obj/agent/%.o $(BUILD)/tobj/agent/%.o $(BUILD)/obj/lab/labctl.o: \
	MODULE_CPPFLAGS := -Iagent/src
$(BUILD)/obj/lab/pipeline/%.o: MODULE_CPPFLAGS := $(addprefix -I,$(hooks_DIRS)) -Ilab/pipeline
ALL_INC := -Iagent/src $(CONTROLLER_ALL_INC) -Ilab/pipeline
$(BUILD)/tobj/tests/%.o $(BUILD)/tobj/bench/%.o: MODULE_CPPFLAGS := $(ALL_INC)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(MODULE_CPPFLAGS) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# Test objects: FL_TESTABLE functions become visible (see common/include/fl/macro.h).
$(BUILD)/tobj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(MODULE_CPPFLAGS) $(CPPFLAGS) -DFL_TEST_BUILD -Itests/lib $(TEST_PKG_CFLAGS) $(CFLAGS) \
		-MMD -MP -c -o $@ $<

$(LIB_COMMON): $(call obj,$(COMMON_SRC))
$(LIB_NETEM): $(call obj,$(NETEM_SRC))
$(TLIB_COMMON): $(call tobj,$(COMMON_SRC))
$(TLIB_NETEM): $(call tobj,$(NETEM_SRC))
$(TLIB_TEST): $(call tobj,$(TESTLIB_SRC))
$(LIB_AGENT): $(call obj,$(AGENT_SRC))
$(TLIB_AGENT): $(call tobj,$(AGENT_SRC))
$(LIB_CONTROLLER): $(call obj,$(CONTROLLER_SRC))
$(TLIB_CONTROLLER): $(call tobj,$(CONTROLLER_SRC))
$(BUILD)/%.a:
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# The controller links netem only to validate and encode specs (docs/design.md).
$(FAULTLINE): $(call obj,$(CONTROLLER_MAIN)) $(LIB_CONTROLLER) $(LIB_NETEM) $(LIB_COMMON)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The agent never links controller code, nor the controller agent code (docs/design.md).
$(AGENT): $(call obj,$(AGENT_MAIN)) $(LIB_AGENT) $(LIB_NETEM) $(LIB_COMMON)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The test builds: same sources and links as the two above, compiled as test objects.
$(TEST_FAULTLINE): $(call tobj,$(CONTROLLER_MAIN)) $(TLIB_CONTROLLER) $(TLIB_NETEM) $(TLIB_COMMON)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(TEST_AGENT): $(call tobj,$(AGENT_MAIN)) $(TLIB_AGENT) $(TLIB_NETEM) $(TLIB_COMMON)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The lab's CRI helper (lab/lab.sh): the agent's CRI client, no crictl in Debian.
$(LABCTL): $(call obj,lab/labctl.c) $(LIB_AGENT) $(LIB_NETEM) $(LIB_COMMON)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The lab's demo pipeline (lab/pipeline/README.md): standalone programs on common, and the
# sink format and integrity check of the controller's integrity hook (one implementation).
INTEGRITY_SRC := $(wildcard controller/hooks/integrity/*.c)
PIPELINE_LIB_SRC := lab/pipeline/pipeline.c lab/pipeline/flags.c $(INTEGRITY_SRC)
$(PIPELINE_BINS): $(BUILD)/lab/%: $(BUILD)/obj/lab/pipeline/%.o $(call obj,$(PIPELINE_LIB_SRC)) \
		$(LIB_COMMON)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Tests link both sides; the binaries we ship never do (see above).
TEST_LINK = $(TLIB_TEST) $(TLIB_CONTROLLER) $(TLIB_AGENT) $(TLIB_NETEM) $(TLIB_COMMON)
$(BUILD)/tests/unit/%: $(BUILD)/tobj/tests/unit/%.o $(TEST_LINK)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(TEST_PKG_LIBS) $(LDLIBS)
$(BUILD)/tests/integration/%: $(BUILD)/tobj/tests/integration/%.o $(TEST_LINK)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(TEST_PKG_LIBS) $(LDLIBS)
$(BUILD)/tests/vm/%: $(BUILD)/tobj/tests/vm/%.o $(TEST_LINK)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(TEST_PKG_LIBS) $(LDLIBS)
$(BUILD)/bench/%: $(BUILD)/tobj/bench/%.o $(TEST_LINK)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(TEST_PKG_LIBS) $(LDLIBS)

# ---- fuzzing (clang libFuzzer + ASan/UBSan) -------------------------------------------
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
FUZZ_CFLAGS := -std=gnu17 -g -O1 -fsanitize=fuzzer,address,undefined -DFL_TEST_BUILD
$(BUILD)/fuzz/%: tests/fuzz/%.c $(NETEM_SRC) $(COMMON_SRC) $(AGENT_SRC) $(CONTROLLER_SRC)
	@mkdir -p $(dir $@)
	$(CLANG) $(ALL_INC) $(CPPFLAGS) $(FUZZ_CFLAGS) -o $@ $^ $(PKG_LIBS) -lm -lpthread
fuzz: $(FUZZ_BINS)

# ---- test tiers -----------------------------------------------------------------------
# test-release-clean.sh inspects what we ship and the test builds, and installs into a
# scratch DESTDIR: all of it is built first.
check: $(UNIT_BINS) $(RELEASE_BINS) $(LIB_NETEM) $(LIB_COMMON) $(TEST_FAULTLINE) $(TEST_AGENT) \
		$(TLIB_TEST)
	@scripts/check-layers.py
	@BUILD=$(BUILD) tests/run.sh unit

test-integration: $(INTEG_BINS) $(FAULTLINE) $(AGENT) $(TEST_FAULTLINE) $(TEST_AGENT)
	@BUILD=$(BUILD) tests/run.sh integration

test-vm: $(VM_BINS) $(FAULTLINE)
	@BUILD=$(BUILD) tests/run.sh vm

test-fuzz: $(FUZZ_BINS)
	@BUILD=$(BUILD) tests/run.sh fuzz

test-e2e: all
	@BUILD=$(BUILD) tests/run.sh e2e

# All tiers in one run: one closing line for the whole suite. The build uses every core
# (a serial build of everything with the fuzz targets took 4 minutes of CI's budget). The
# e2e tier mostly waits (the gameday's pauses): the VM and fuzz tiers, which mostly compute,
# run beside it (tests/run.sh "A+B"); the gameday must pass with a busy core anyway
# (issue 10: green under load).
NPROC := $(shell nproc 2>/dev/null || echo 2)
test: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all $(FUZZ_BINS)
	@BUILD=$(BUILD) tests/run.sh unit integration e2e+vm+fuzz

bench: deps all
	@BUILD=$(BUILD) bench/run.sh

# The main job's build uses every core too: a serial one is minutes of a new user's wait.
demo: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all
	@BUILD=$(BUILD) scripts/gameday.sh

netem-demo: deps all
	@BUILD=$(BUILD) scripts/netem-demo.sh

deps:
	@scripts/install-deps.sh

install: $(FAULTLINE) $(AGENT) $(LIB_NETEM) $(LIB_COMMON)
	install -D -m 0755 $(FAULTLINE) $(DESTDIR)$(PREFIX)/bin/faultline
	install -D -m 0755 $(AGENT) $(DESTDIR)$(PREFIX)/sbin/faultline-agent
	install -D -m 0644 $(LIB_NETEM) $(DESTDIR)$(PREFIX)/lib/libfl-netem.a
	install -D -m 0644 $(LIB_COMMON) $(DESTDIR)$(PREFIX)/lib/libfl-common.a
	install -D -m 0644 -t $(DESTDIR)$(PREFIX)/include/fl netem/include/fl/*.h \
		common/include/fl/*.h

# ---- images (docs/kubernetes.md) -------------------------------------------------------
# The version is the one the binaries print (--version): FL_VERSION in fl/version.h.
VERSION := $(shell sed -n 's/^\#define FL_VERSION "\(.*\)"$$/\1/p' common/include/fl/version.h)
IMAGE_REPO ?= localhost/faultline
IMAGE_DIR := $(BUILD)/image
AGENT_IMAGE := $(IMAGE_REPO)/faultline-agent:$(VERSION)
FAULTLINE_IMAGE := $(IMAGE_REPO)/faultline:$(VERSION)
AGENT_IMAGE_TAR := $(IMAGE_DIR)/faultline-agent.oci.tar
FAULTLINE_IMAGE_TAR := $(IMAGE_DIR)/faultline.oci.tar
image: $(AGENT_IMAGE_TAR) $(FAULTLINE_IMAGE_TAR)
# Rewritten every time (0.6 s): what goes in also depends on the host's libraries and on
# IMAGE_REPO, which make cannot see change; the same inputs give the same bytes anyway.
image-always:
# Release binaries only ($(AGENT), $(FAULTLINE); make-image.py refuses a test build). The
# agent runs as root (it needs NET_ADMIN, SYS_ADMIN... in the host's namespaces); the
# controller as nonroot, with the CA file (HTTPS to the API server, agents, http probes) and
# /tmp (its private folder for the API's PEM data).
$(AGENT_IMAGE_TAR): $(AGENT) image-always
	@mkdir -p $(dir $@)
	python3 scripts/make-image.py $@ $(AGENT_IMAGE) $(AGENT) --at /usr/sbin/faultline-agent \
		--user root
$(FAULTLINE_IMAGE_TAR): $(FAULTLINE) image-always
	@mkdir -p $(dir $@)
	python3 scripts/make-image.py $@ $(FAULTLINE_IMAGE) $(FAULTLINE) --at /usr/bin/faultline \
		--user nonroot --ca-certs --tmp
# For scripts (tests/integration/test-image.sh, the lab): eval "$(make -s print-image-names)".
print-image-names:
	@echo VERSION=$(VERSION)
	@echo AGENT_IMAGE=$(AGENT_IMAGE)
	@echo FAULTLINE_IMAGE=$(FAULTLINE_IMAGE)
	@echo AGENT_IMAGE_TAR=$(AGENT_IMAGE_TAR)
	@echo FAULTLINE_IMAGE_TAR=$(FAULTLINE_IMAGE_TAR)

FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null | grep -v '^third_party/')
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	clang-format --dry-run -Werror $(FORMAT_FILES)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# Keep intermediate objects (test binaries are built from them).
.SECONDARY:
