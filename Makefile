# jackloop - one non-recursive Makefile, out-of-tree builds (STYLE 38-41).
#   make            build build/jackloop and build/loopctl
#   make test       everything CI gates (installs missing Debian packages first)
#   make run        start jackloop on a running JACK server (or start one)
#   make bench      RT engine benchmark;  make bench-analysis  onsets/tempo vs aubio, time per tick
#   make bench-session  save and load of a large session: time, the daemon loop's share
#   make bench-notify   what OSC state feedback costs the daemon (CPU, ping round trips)
#   make bench-analysis-xval  tempo on a validation set (other meters, soundfonts, noise)
#   make bench-analysis-resynth  tempo and onsets on the dev set's MIDI rendered with other soundfonts
#   make bench-analysis-xresynth the same on the validation set's MIDI (FluidR3, OPL3, Csound)
#   make bench-analysis-noise  onsets and tempo on the dev set's clips with white and pink noise at 10, 5, 0 dB SNR
#   make bench-analysis-steps  the tempo's settle time after 40 steps (4 grooves x 10 ratios, 4 soundfonts)
#   make bench-analysis-tempi  tempo on the dev set played at 0.8, 0.9, 1.12 and 1.25 times its tempi (SET=xval: the validation set)
#   make bench-analysis-styles  tempo, onsets and beats on nine band styles no rule was shaped on (2 soundfonts)
#   make bench-analysis-cycles  the beats first loops of 1, 2, 4 bars are counted in, on the sets rendered so far
#   make bench-analysis-downbeats  the bar phase (downbeats) on the dev and validation sets and on copies that start on beat 2
#   make deps-bench / deps-xval   the packages the analysis benchmarks need
#   make BUILD=build-tsan SAN=thread test-queue   a sanitizer variant

BUILD ?= build
PREFIX ?= /usr/local
bindir ?= $(PREFIX)/bin
mandir ?= $(PREFIX)/share/man
DESTDIR ?=
CC ?= cc
CFLAGS ?= -O2 -g
PKG_CONFIG ?= pkg-config

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
        -Wcast-align -Wformat=2 -Wundef -Wvla -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN += -Werror
endif
override CFLAGS += -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) -MMD -MP
ifneq ($(SAN),)
override CFLAGS += -fsanitize=$(SAN) -fno-omit-frame-pointer
override LDFLAGS += -fsanitize=$(SAN)
endif
# Integration builds bracket the engine for the LD_PRELOAD RT guard.
override CFLAGS += -DJL_RTGUARD

JACKLOOP_PKGS := jack fftw3f
LOOPCTL_PKGS := alsa liblo fftw3f sndfile jansson samplerate rubberband inih
ALL_PKGS := $(JACKLOOP_PKGS) $(LOOPCTL_PKGS)

ifeq ($(filter deps clean help,$(MAKECMDGOALS)),)
PKG_OK := $(shell $(PKG_CONFIG) --exists $(ALL_PKGS) && echo yes)
endif
JACK_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(JACKLOOP_PKGS))
JACK_LIBS = $(shell $(PKG_CONFIG) --libs $(JACKLOOP_PKGS))
CTL_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(LOOPCTL_PKGS))
CTL_LIBS = $(shell $(PKG_CONFIG) --libs $(LOOPCTL_PKGS)) -lm -pthread

SHARED_SRC := shared/jl_shm.c
JL_SRC := $(filter-out jackloop/main.c,$(wildcard jackloop/*.c))
CTL_SRC := $(filter-out loopctl/main.c,$(wildcard loopctl/*.c))
RT_SRC := $(wildcard jackloop/*_rt.c)

SHARED_OBJ := $(SHARED_SRC:%.c=$(BUILD)/obj/%.o)
JL_OBJ := $(JL_SRC:%.c=$(BUILD)/obj/%.o)
CTL_OBJ := $(CTL_SRC:%.c=$(BUILD)/obj/%.o)

UNIT_TESTS := test_spsc test_shm test_engine test_midi test_notify test_looper $(if $(wildcard tests/test_fx.c),test_fx) $(if $(wildcard tests/test_conv.c),test_conv) $(if $(wildcard tests/test_analysis.c),test_analysis)
TEST_BINS := $(UNIT_TESTS:%=$(BUILD)/tests/%) $(BUILD)/tests/jl_player $(BUILD)/tests/jl_recorder $(BUILD)/tests/jl_midirec $(BUILD)/tests/jl_clocksrc \
             $(BUILD)/tests/jl_histcheck $(BUILD)/tests/jl_delay $(BUILD)/tests/test_rtguard $(BUILD)/librtguard.so


.PHONY: all deps deps-bench deps-xval check-pkgs test test-build test-queue rtgate manlint run bench bench-session bench-notify bench-analysis \
        bench-analysis-xval bench-analysis-resynth bench-analysis-xresynth bench-analysis-noise bench-analysis-steps bench-analysis-tempi bench-analysis-styles bench-analysis-cycles bench-analysis-downbeats install uninstall clean lint analyze help

all: check-pkgs $(BUILD)/jackloop $(BUILD)/loopctl

check-pkgs:
	@$(PKG_CONFIG) --exists $(ALL_PKGS) || { \
	  echo "missing development packages for: $(ALL_PKGS)"; \
	  echo "run 'make deps' (installs them with apt-get) and try again"; exit 1; }

# Installs the Debian packages that are missing (root or sudo), else says how.
DEB_BUILD := gcc clang make pkg-config binutils libjack-jackd2-dev libasound2-dev liblo-dev \
             libfftw3-dev libsndfile1-dev libjansson-dev libsamplerate0-dev librubberband-dev libinih-dev
DEB_TEST := jackd2 liblo-tools groff-base python3 procps
# $(call apt_install,PACKAGES): install the missing Debian packages (root or
# sudo; `apt-get update` when a package is not found), else print the command.
define apt_install
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	echo "deps: installing:$$missing"; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo"; else \
	  echo "deps: please run: sudo apt-get update && sudo apt-get install -y$$missing"; exit 1; fi; \
	export DEBIAN_FRONTEND=noninteractive; \
	$$SUDO apt-get install -y --no-install-recommends $$missing || \
	  { $$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends $$missing; }
endef

help:
	@sed -n 's/^#   //p' Makefile

deps:
	$(call apt_install,$(DEB_BUILD) $(DEB_TEST))

# the analysis benchmarks: the synthesizer, its soundfonts and the aubio baseline
DEB_BENCH := fluidsynth fluid-soundfont-gm sox aubio-tools python3-aubio python3-numpy
DEB_XVAL := timgm6mb-soundfont musescore-general-soundfont-small opl3-soundfont csound-soundfont
deps-bench: deps
	$(call apt_install,$(DEB_BENCH))

deps-xval: deps-bench
	$(call apt_install,$(DEB_XVAL))

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CPPFLAGS) $(if $(filter jackloop/%,$<),$(JACK_CFLAGS),$(CTL_CFLAGS)) -c $< -o $@

$(BUILD)/jackloop: $(BUILD)/obj/jackloop/main.o $(JL_OBJ) $(SHARED_OBJ)
	$(CC) $(LDFLAGS) $^ $(JACK_LIBS) -lm -o $@

$(BUILD)/loopctl: $(BUILD)/obj/loopctl/main.o $(CTL_OBJ) $(SHARED_OBJ)
	$(CC) $(LDFLAGS) $^ $(CTL_LIBS) -lrt -o $@

# --- tests -----------------------------------------------------------------
$(BUILD)/tests/test_spsc: $(BUILD)/tests/test_spsc.o
	$(CC) $(LDFLAGS) $^ -lpthread -o $@
$(BUILD)/tests/test_shm: $(BUILD)/tests/test_shm.o $(SHARED_OBJ)
	$(CC) $(LDFLAGS) $^ -lrt -o $@
$(BUILD)/tests/test_engine: $(BUILD)/tests/test_engine.o $(JL_OBJ) $(SHARED_OBJ)
	$(CC) $(LDFLAGS) $^ $(JACK_LIBS) -lm -o $@
$(BUILD)/tests/bench_engine: $(BUILD)/tests/bench_engine.o $(JL_OBJ) $(CTL_OBJ) $(SHARED_OBJ)
	$(CC) $(LDFLAGS) $^ $(JACK_LIBS) $(CTL_LIBS) -lrt -o $@
$(BUILD)/tests/bench_fx: $(BUILD)/tests/bench_fx.o $(JL_OBJ) $(CTL_OBJ) $(SHARED_OBJ)
	$(CC) $(LDFLAGS) $^ $(JACK_LIBS) $(CTL_LIBS) -lrt -o $@
$(BUILD)/tests/bench_ana: $(BUILD)/tests/bench_ana.o $(CTL_OBJ) $(SHARED_OBJ)
	$(CC) $(LDFLAGS) $^ $(CTL_LIBS) -lrt -o $@
$(BUILD)/tests/test_looper: $(BUILD)/tests/test_looper.o $(JL_OBJ) $(CTL_OBJ) $(SHARED_OBJ)
	$(CC) $(LDFLAGS) $^ $(JACK_LIBS) $(CTL_LIBS) -lrt -o $@
$(BUILD)/tests/test_fx: $(BUILD)/tests/test_fx.o $(JL_OBJ) $(CTL_OBJ) $(SHARED_OBJ)
	$(CC) $(LDFLAGS) $^ $(JACK_LIBS) $(CTL_LIBS) -lrt -o $@
$(BUILD)/tests/test_conv: $(BUILD)/tests/test_conv.o $(JL_OBJ) $(CTL_OBJ) $(SHARED_OBJ)
	$(CC) $(LDFLAGS) $^ $(JACK_LIBS) $(CTL_LIBS) -lrt -o $@
$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(CTL_OBJ) $(SHARED_OBJ)
	$(CC) $(LDFLAGS) $^ $(CTL_LIBS) -lrt -o $@
$(BUILD)/tests/jl_player: $(BUILD)/tests/jl_player.o
	$(CC) $(LDFLAGS) $^ $(JACK_LIBS) $(shell $(PKG_CONFIG) --libs sndfile) -o $@
$(BUILD)/tests/jl_recorder: $(BUILD)/tests/jl_recorder.o
	$(CC) $(LDFLAGS) $^ $(JACK_LIBS) $(shell $(PKG_CONFIG) --libs sndfile) -o $@
$(BUILD)/tests/jl_midirec: $(BUILD)/tests/jl_midirec.o
	$(CC) $(LDFLAGS) $^ $(JACK_LIBS) -o $@
$(BUILD)/tests/jl_clocksrc: $(BUILD)/tests/jl_clocksrc.o
	$(CC) $(LDFLAGS) $^ $(JACK_LIBS) -o $@
$(BUILD)/tests/jl_delay: $(BUILD)/tests/jl_delay.o
	$(CC) $(LDFLAGS) $^ $(JACK_LIBS) -o $@
$(BUILD)/tests/jl_histcheck: $(BUILD)/tests/jl_histcheck.o $(SHARED_OBJ)
	$(CC) $(LDFLAGS) $^ -lrt -o $@
$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CPPFLAGS) $(JACK_CFLAGS) $(CTL_CFLAGS) -Itests -c $< -o $@
$(BUILD)/librtguard.so: tests/rtguard.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O2 -g -fPIC -shared -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror) $< -ldl -o $@

# Everything make test needs, built with -Werror.
test-build: deps
	@$(MAKE) -s --no-print-directory WERROR=1 all $(TEST_BINS)
	@$(MAKE) -s --no-print-directory BUILD=$(BUILD)-clang CC=clang WERROR=1 all

# The queue stress test under ThreadSanitizer and under ASan+UBSan; the
# ASan+UBSan jackloop and daemon for the OSC fuzz test (tests/it_fuzz.sh).
test-queue:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)-tsan SAN=thread WERROR=1 $(BUILD)-tsan/tests/test_spsc
	@$(MAKE) --no-print-directory BUILD=$(BUILD)-asan SAN=address,undefined WERROR=1 $(BUILD)-asan/tests/test_spsc \
		$(BUILD)-asan/jackloop $(BUILD)-asan/loopctl

# RT symbol gate: fixed flags, no LTO, no sanitizers (STYLE 31).
RTGATE_FLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -fno-lto -fstack-protector-strong -D_FORTIFY_SOURCE=2
rtgate: $(RT_SRC)
	@mkdir -p $(BUILD)/rtgate
	@for f in $(RT_SRC); do $(CC) $(RTGATE_FLAGS) -c $$f -o $(BUILD)/rtgate/$$(basename $$f .c).o || exit 1; done
	@tests/rtgate.sh tests/rt-allow.txt $(BUILD)/rtgate/*.o

MANPAGES := man/jackloop.1 man/loopctl.1
manlint:
	@tests/manlint.sh $(MANPAGES)

test: test-build
	@$(MAKE) --no-print-directory test-queue
	@BUILD=$(BUILD) tests/run.sh

run: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) examples/run.sh

bench: deps
	@$(MAKE) --no-print-directory $(BUILD)/tests/bench_engine $(BUILD)/tests/bench_fx
	@$(BUILD)/tests/bench_engine
	@echo "== the same 1024 voices with EQ + compressor + delay on all 16 tracks (128 frames):"
	@$(BUILD)/tests/bench_engine --no-daemon --quick --point 128 1024
	@$(BUILD)/tests/bench_engine --no-daemon --quick --chain --point 128 1024
	@$(BUILD)/tests/bench_fx

bench-session: deps
	@$(MAKE) --no-print-directory $(BUILD)/jackloop $(BUILD)/loopctl $(BUILD)/tests/jl_player
	@BUILD=$(BUILD) tests/bench_session.sh

bench-notify: deps
	@$(MAKE) --no-print-directory $(BUILD)/jackloop $(BUILD)/loopctl
	@BUILD=$(BUILD) tests/bench_notify.sh

bench-analysis: deps-bench
	@$(MAKE) --no-print-directory $(BUILD)/loopctl $(BUILD)/tests/bench_ana
	@tests/bench_analysis.sh $(BUILD)/loopctl
	@echo
	@$(BUILD)/tests/bench_ana build/analysis-bench/data/wav/*.wav

# the analysis benchmarks beyond the development set: bench-analysis-NAME
# runs tests/xval/run_NAME.sh
XVAL_BENCHES := bench-analysis-xval bench-analysis-resynth bench-analysis-xresynth bench-analysis-noise bench-analysis-steps bench-analysis-tempi bench-analysis-styles bench-analysis-cycles bench-analysis-downbeats
bench-analysis-noise: deps-bench
$(filter-out bench-analysis-noise,$(XVAL_BENCHES)): deps-xval
$(XVAL_BENCHES):
	@$(MAKE) --no-print-directory $(BUILD)/loopctl
	@tests/xval/run_$(@:bench-analysis-%=%).sh $(BUILD)/loopctl

install: all
	install -Dm755 $(BUILD)/jackloop $(DESTDIR)$(bindir)/jackloop
	install -Dm755 $(BUILD)/loopctl $(DESTDIR)$(bindir)/loopctl
	install -Dm644 man/jackloop.1 $(DESTDIR)$(mandir)/man1/jackloop.1
	install -Dm644 man/loopctl.1 $(DESTDIR)$(mandir)/man1/loopctl.1

uninstall:
	rm -f $(DESTDIR)$(bindir)/jackloop $(DESTDIR)$(bindir)/loopctl \
	      $(DESTDIR)$(mandir)/man1/jackloop.1 $(DESTDIR)$(mandir)/man1/loopctl.1

lint:
	bear --output $(BUILD)/compile_commands.json -- $(MAKE) -B all
	clang-tidy -p $(BUILD) -checks='-*,bugprone-*,-bugprone-easily-swappable-parameters,cert-sig30-c,concurrency-*,clang-analyzer-*,misc-no-recursion' $(JL_SRC) $(CTL_SRC) $(SHARED_SRC)
	cppcheck --std=c11 --enable=warning,performance,portability --error-exitcode=1 --inline-suppr -q jackloop loopctl shared
	@tests/manlint.sh $(MANPAGES)

analyze:
	$(CC) -fanalyzer -std=c11 -D_POSIX_C_SOURCE=200809L $(CTL_CFLAGS) -fsyntax-only $(CTL_SRC) $(SHARED_SRC) || true

clean:
	rm -rf $(BUILD) $(BUILD)-tsan $(BUILD)-asan $(BUILD)-clang

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
.SECONDARY:
