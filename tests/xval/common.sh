# common.sh - what run_resynth.sh, run_noise.sh, run_steps.sh and run_tempi.sh share (sourced, not run).
#
#   bench_env NAME [LOOPCTL]   LOOPCTL (default build/loopctl), REF, BENCH, DEV,
#                              OUT (default build/NAME), JOBS, PY, AUBIO_ONSET,
#                              absolute paths; needs ROOT
#   bench_check NAME PKGS [FILE...]
#                              exit with a clear error if fluidsynth, sox, a FILE,
#                              loopctl (or REF) or the bench's gen.py is missing
#                              (PKGS: the Debian packages to name)
#   bench_prepare NAME PKGS [FILE...]
#                              bench_check, then generate the development set
#                              into DEV if it is not there
#   run_loopctl DIR            analyze every DIR/wav/*.wav with $LOOPCTL (and $REF
#                              as "ref" if set) into DIR/results/<label>/ (.bpm,
#                              .onsets, and .beats where the binary has --beats);
#                              appends label=dir pairs to $methods
#   run_aubioonset DIR         every aubioonset method ($AUBIO_ONSET) on DIR/wav,
#                              cached in DIR/aubioonset-<m>/ until the wav changes;
#                              appends aubioonset-<m>=dir pairs to $onset_methods
#   run_aubiotrack DIR         aubiotrack on DIR/wav, its beats as a tempo track
#                              ($BENCH/beats2bpm.py) in DIR/aubiotrack/, cached the
#                              same way; appends aubiotrack=dir to $tempo_methods
#   beat_report GT DIR...      the beats section of a report: beat_score.py over
#                              the label=dir pairs of $methods that hold .beats
#                              files, and each DIR (aubiotrack's) that does

abspath() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }

bench_env() {
  LOOPCTL="$(abspath "${2:-$ROOT/build/loopctl}")"
  REF="${REF:-}"
  [ -z "$REF" ] || REF="$(abspath "$REF")"
  BENCH="${BENCH:-$ROOT/../shared/analysis-bench}"
  DEV="${DEV:-$ROOT/build/analysis-bench}"
  OUT="${OUT:-$ROOT/build/$1}"
  JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
  PY=python3
  AUBIO_ONSET="hfc specflux complex energy specdiff phase kl mkl"
}

bench_check() {
  local name="$1" pkgs="$2" missing="" t f b
  shift 2
  for t in fluidsynth sox; do command -v "$t" >/dev/null 2>&1 || missing="$missing $t"; done
  for f in "$@"; do [ -f "$f" ] || missing="$missing $f"; done
  if [ -n "$missing" ]; then
    echo "$name: missing:$missing" >&2
    echo "  install with: apt-get install -y $pkgs" >&2
    exit 1
  fi
  for b in "$LOOPCTL" $REF; do
    [ -x "$b" ] || { echo "$name: no executable $b" >&2; exit 1; }
  done
  [ -f "$BENCH/gen.py" ] || { echo "$name: no benchmark at $BENCH (set BENCH=)" >&2; exit 1; }
}

bench_prepare() {
  bench_check "$@"
  if [ ! -f "$DEV/ground_truth.json" ] || [ -z "$(ls "$DEV/data/wav" 2>/dev/null)" ] ||
     [ -z "$(ls "$DEV/data/midi" 2>/dev/null)" ]; then
    echo "== generating the development set into $DEV/data"
    "$PY" "$BENCH/gen.py" --out "$DEV/data" --gt "$DEV/ground_truth.json" --jobs "$JOBS"
  fi
}

run_loopctl() {
  local D="$1" lab labels="loopctl"
  [ -z "$REF" ] || labels="ref loopctl"
  for lab in $labels; do
    bin="$LOOPCTL"; [ "$lab" = ref ] && bin="$REF"
    R="$D/results/$lab"; rm -rf "$R"; mkdir -p "$R"
    export bin R
    find "$D/wav" -name '*.wav' -print0 | sort -z | xargs -0 -P "$JOBS" -I{} sh -c \
      'n=$(basename "$1" .wav); "$bin" analyze "$1" --tempo --track > "$R/$n.bpm" &&
       "$bin" analyze "$1" --onsets --decision > "$R/$n.onsets" || echo "analyze failed on $n" >&2
       "$bin" analyze "$1" --beats > "$R/$n.beats" 2>/dev/null || rm -f "$R/$n.beats"' _ {}
    methods="$methods $lab=$R"
  done
}

run_aubioonset() {
  local D="$1" m w o
  command -v aubioonset >/dev/null 2>&1 || return 0
  for m in $AUBIO_ONSET; do
    mkdir -p "$D/aubioonset-$m"
    for w in "$D"/wav/*.wav; do
      o="$D/aubioonset-$m/$(basename "$w" .wav).onsets"
      [ -s "$o" ] && [ "$o" -nt "$w" ] || echo "$m $w $o"
    done
  done | xargs -r -P "$JOBS" -n 3 sh -c 'aubioonset -O "$0" -i "$1" > "$2"'
  for m in $AUBIO_ONSET; do onset_methods="$onset_methods aubioonset-$m=$D/aubioonset-$m"; done
}

run_aubiotrack() {
  local D="$1" w o
  command -v aubiotrack >/dev/null 2>&1 || return 0
  mkdir -p "$D/aubiotrack"
  for w in "$D"/wav/*.wav; do
    o="$D/aubiotrack/$(basename "$w" .wav).bpm"
    [ -s "$o" ] && [ "$o" -nt "$w" ] || echo "$w $o"
  done | PY="$PY" BENCH="$BENCH" xargs -r -P "$JOBS" -n 2 sh -c \
    'aubiotrack -i "$0" > "${1%.bpm}.beats" && "$PY" "$BENCH/beats2bpm.py" "${1%.bpm}.beats" > "$1"'
  tempo_methods="$tempo_methods aubiotrack=$D/aubiotrack"
}

beat_report() {
  local gt="$1" m d lst=""
  shift
  for m in $methods; do ls "${m#*=}"/*.beats >/dev/null 2>&1 && lst="$lst $m"; done
  for d in "$@"; do ls "$d"/*.beats >/dev/null 2>&1 && lst="$lst $(basename "$d")=$d"; done
  [ -n "$lst" ] || return 0
  # shellcheck disable=SC2086  # label=dir words
  "$PY" "$HERE/beat_score.py" --gt "$gt" $lst
  echo
}
