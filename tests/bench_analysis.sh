#!/usr/bin/env bash
# bench_analysis.sh - onset / tempo / latency benchmark of `loopctl analyze`
# against aubio, on the synthesized set of ../shared/analysis-bench.
#
#   tests/bench_analysis.sh [build/loopctl]        (make bench-analysis)
#
# Installs nothing.  Data and results go under build/analysis-bench/:
#   data/wav/*.wav, ground_truth.json      (gen.py, ~7-15 s, once)
#   data/results/aubio*/...               (run_aubio.sh, ~45 s, once; FORCE_AUBIO=1 reruns)
#   data/results/loopctl/<clip>.onsets|.bpm|.beats, report.md
# Environment: BENCH=path/to/analysis-bench (default ../shared/analysis-bench),
#              OUT=dir (default build/analysis-bench), JOBS=n (default nproc).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
LOOPCTL="${1:-$ROOT/build/loopctl}"
case "$LOOPCTL" in /*) ;; *) LOOPCTL="$PWD/$LOOPCTL" ;; esac
BENCH="${BENCH:-$ROOT/../shared/analysis-bench}"
OUT="${OUT:-$ROOT/build/analysis-bench}"
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
PY=python3

missing=""
for t in fluidsynth sox aubioonset aubiotrack aubio; do
  command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
[ -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ] || missing="$missing fluid-soundfont-gm"
/usr/bin/python3 -c 'import aubio' >/dev/null 2>&1 || missing="$missing python3-aubio"
if [ -n "$missing" ]; then
  echo "bench-analysis: missing:$missing" >&2
  echo "  install with: apt-get install -y fluidsynth fluid-soundfont-gm sox aubio-tools python3-aubio" >&2
  exit 1
fi
[ -x "$LOOPCTL" ] || { echo "bench-analysis: no executable $LOOPCTL (run make first)" >&2; exit 1; }
[ -f "$BENCH/gen.py" ] || { echo "bench-analysis: no benchmark at $BENCH (set BENCH=)" >&2; exit 1; }

DATA="$OUT/data"; RES="$DATA/results"; GT="$OUT/ground_truth.json"
mkdir -p "$OUT"
clips() { "$PY" -c 'import json,sys; print(" ".join(c["name"] for c in json.load(open(sys.argv[1]))["clips"]))' "$GT"; }
need_gen=0
[ -f "$GT" ] || need_gen=1
if [ "$need_gen" = 0 ]; then
  for n in $(clips); do [ -f "$DATA/wav/$n.wav" ] || { need_gen=1; break; }; done
fi
if [ "$need_gen" = 1 ]; then
  echo "== generating the dataset into $DATA"
  "$PY" "$BENCH/gen.py" --out "$DATA" --gt "$GT" --jobs "$JOBS"
fi

if [ "${FORCE_AUBIO:-0}" = 1 ] || [ ! -f "$RES/scores_live.json" ]; then
  echo "== aubio baseline (run_aubio.sh)"
  DATA="$DATA" RES="$RES" GT="$GT" JOBS="$JOBS" "$BENCH/run_aubio.sh" >"$OUT/aubio.log" 2>&1 ||
    { echo "bench-analysis: run_aubio.sh failed, see $OUT/aubio.log" >&2; exit 1; }
else
  echo "== aubio baseline: reusing $RES (FORCE_AUBIO=1 to rerun)"
fi

MINE="$RES/loopctl"
rm -rf "$MINE"; mkdir -p "$MINE"
export LOOPCTL DATA MINE
echo "== loopctl analyze: onsets with decision times (CPU timed), tempo track"
TIMEFORMAT='%U %S'
cpu=$( { time (for n in $(clips); do echo "$n"; done | xargs -P "$JOBS" -n 1 sh -c \
  '"$LOOPCTL" analyze "$DATA/wav/$0.wav" --onsets --decision > "$MINE/$0.onsets"') ; } 2>&1 )
for n in $(clips); do echo "$n"; done | xargs -P "$JOBS" -n 1 sh -c \
  '"$LOOPCTL" analyze "$DATA/wav/$0.wav" --tempo --track > "$MINE/$0.bpm"'
for n in $(clips); do echo "$n"; done | xargs -P "$JOBS" -n 1 sh -c \
  '"$LOOPCTL" analyze "$DATA/wav/$0.wav" --beats > "$MINE/$0.beats"'
audio_s=$("$PY" -c 'import json,sys; print(sum(c["duration"] for c in json.load(open(sys.argv[1]))["clips"]))' "$GT")

ONSET_BASE=""
for m in hfc mkl specflux complex specdiff energy kl phase; do
  [ -d "$RES/aubio-live-$m" ] && ONSET_BASE="$ONSET_BASE aubio-$m=$RES/aubio-live-$m"
done
TEMPO_BASE=""
[ -d "$RES/aubio-live-tempo" ] && TEMPO_BASE="$TEMPO_BASE aubio-live-tempo=$RES/aubio-live-tempo"
[ -d "$RES/aubiotrack" ] && TEMPO_BASE="$TEMPO_BASE aubiotrack=$RES/aubiotrack"
[ -d "$RES/aubio-tempo" ] && TEMPO_BASE="$TEMPO_BASE aubio-tempo=$RES/aubio-tempo"

REPORT="$MINE/report.md"
{
  echo "# loopctl analyze vs aubio 0.4.9 ($(date -u +%Y-%m-%d), $(uname -m), loopctl: $LOOPCTL)"
  echo
  # shellcheck disable=SC2086
  "$PY" "$BENCH/score.py" --gt "$GT" --summary --json "$MINE/scores_all.json" \
    "loopctl=$MINE" $ONSET_BASE $TEMPO_BASE | tail -n +2
  echo "## loopctl detail"
  echo
  "$PY" "$BENCH/score.py" --gt "$GT" --json "$MINE/scores.json" "loopctl=$MINE" \
    | sed -n '/^### onsets: loopctl/,$p'
  "$PY" - "$MINE/scores_all.json" "$cpu" "$audio_s" <<'EOF'
import json, sys
rep = json.load(open(sys.argv[1]))["methods"]
user, sys_t = (float(v) for v in sys.argv[2].split())
audio = float(sys.argv[3])
me = rep["loopctl"]
cats = ["drums", "bass", "keys", "guitar", "pads", "mix", "noisy"]
aub = {k: v for k, v in rep.items() if k.startswith("aubio-") and "onsets" in v}
print("## CPU\n")
print("loopctl analyze, whole set (decode + analysis, %d clips): %.2f s user + %.2f s sys for %.1f s of audio"
      " = **%.4f CPU s per s of audio**\n" % (len(me["onsets"]["per_clip"]), user, sys_t, audio, (user + sys_t) / audio))
print("## targets\n")
print("| target | value | aubio best | met |")
print("|---|---|---|---|")
def row(name, val, ref, ok, fmt="%.3f"):
    print("| %s | %s | %s | %s |" % (name, fmt % val if val is not None else "-",
                                    (fmt % ref) if isinstance(ref, float) else ref, "yes" if ok else "**no**"))
c = me["onsets"]["categories"]
best = lambda cat, key: max(v["onsets"]["categories"][cat][key] for v in aub.values()) if aub else float("nan")
row("onset F overall (macro) >= 0.92", c["ALL"]["F"], best("ALL", "F"), c["ALL"]["F"] >= 0.92)
row("pads F >= 0.5", c["pads"]["F"], best("pads", "F"), c["pads"]["F"] >= 0.5)
for cat in cats:
    b = best(cat, "F_micro")
    row("%s micro F > aubio best micro F" % cat, c[cat]["F_micro"], b,
        c[cat]["F_micro"] > b or (b >= 0.9995 and c[cat]["F_micro"] >= 0.9995))
row("median latency <= 30 ms", c["ALL"]["lat_median_ms"], "-", c["ALL"]["lat_median_ms"] <= 30, "%.1f ms")
t = me.get("tempo")
if t:
    a1, a2 = t["categories"]["ALL"]["acc1"], t["categories"]["ALL"]["acc2"]
    row("tempo Acc1 >= 0.90 (constant tempo)", a1, "-", a1 >= 0.90, "%.2f")
    row("tempo Acc2 >= 0.97", a2, "-", a2 >= 0.97, "%.2f")
    for s in t["steps"]:
        if s["segment"] > 0:
            v = s["settle1_s"]
            print("| settle after the step, %s | %s | - | %s |" % (
                s["clip"], "%.1f s" % v if v is not None else "never", "yes" if v is not None and v <= 4 else "**no**"))
EOF
  echo
  # shellcheck disable=SC2046  # label=dir words
  "$PY" "$ROOT/tests/xval/beat_score.py" --gt "$GT" "loopctl=$MINE" $([ -d "$RES/aubiotrack" ] && echo "aubiotrack=$RES/aubiotrack")
} | tee "$REPORT"
echo "== wrote $REPORT"
