#!/usr/bin/env bash
# run_xval.sh - tempo (and onsets) of `loopctl analyze` on the validation set written by
# tests/xval/gen_xval.py: 3/4, 6/8, 12/8, 7/8, 5/4, 2/4 and other 4/4 material, rendered
# with soundfonts other than FluidR3, noisy copies at 10/15 dB SNR.  aubio runs on the same
# clips for comparison when it is installed.
#
#   tests/xval/run_xval.sh [build/loopctl]        (make bench-analysis-xval)
#
# Installs nothing.  Data and results go under build/analysis-xval/:
#   data/wav/*.wav, ground_truth.json     gen_xval.py (~30 s); rerun when a file is missing,
#                                         gen_xval.py is newer than the ground truth, or FORCE_GEN=1
#   results/loopctl/<clip>.bpm|.onsets    analyze --tempo --track / --onsets --decision
#   results/aubio-tempo/<clip>.bpm        `aubio tempo` (global BPM)
#   results/aubiotrack/<clip>.bpm         aubiotrack beats -> tempo track (beats2bpm.py)
#   results/aubio-live-tempo/<clip>.bpm   aubio.tempo get_bpm() every 0.5 s (python3-aubio)
#   results/aubioonset-<m>/<clip>.onsets  aubioonset -O <m>, every onset method (aubio-tools)
#   results/report.md                     score.py --per-clip + the per-clip table below
# Environment: BENCH=path/to/analysis-bench (default ../shared/analysis-bench),
#              OUT=dir (default build/analysis-xval), JOBS=n (default nproc).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
LOOPCTL="${1:-$ROOT/build/loopctl}"
case "$LOOPCTL" in /*) ;; *) LOOPCTL="$PWD/$LOOPCTL" ;; esac
BENCH="${BENCH:-$ROOT/../shared/analysis-bench}"
OUT="${OUT:-$ROOT/build/analysis-xval}"
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
PY=python3

missing=""
for t in fluidsynth sox soxi; do
  command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
if [ -n "$missing" ]; then
  echo "bench-analysis-xval: missing:$missing" >&2
  echo "  install with: apt-get install -y fluidsynth sox timgm6mb-soundfont musescore-general-soundfont-small" >&2
  exit 1
fi
[ -x "$LOOPCTL" ] || { echo "bench-analysis-xval: no executable $LOOPCTL (run make first)" >&2; exit 1; }
if [ ! -f "$BENCH/gen.py" ] || [ ! -f "$BENCH/score.py" ]; then
  echo "bench-analysis-xval: no benchmark at $BENCH (set BENCH=)" >&2; exit 1
fi

DATA="$OUT/data"; RES="$OUT/results"; GT="$OUT/ground_truth.json"
mkdir -p "$OUT"
clips() { "$PY" -c 'import json,sys; print(" ".join(c["name"] for c in json.load(open(sys.argv[1]))["clips"]))' "$GT"; }
need_gen="${FORCE_GEN:-0}"
[ -f "$GT" ] || need_gen=1
if [ -f "$GT" ] && [ "$HERE/gen_xval.py" -nt "$GT" ]; then need_gen=1; fi
if [ "$need_gen" = 0 ]; then
  for n in $(clips); do [ -f "$DATA/wav/$n.wav" ] || { need_gen=1; break; }; done
fi
if [ "$need_gen" = 1 ]; then
  echo "== generating the validation set into $DATA"
  t0=$(date +%s.%N)
  "$PY" "$HERE/gen_xval.py" --bench "$BENCH" --out "$DATA" --gt "$GT" --jobs "$JOBS" | tail -n 1
  echo "   generation: $("$PY" -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$(date +%s.%N)") s"
else
  echo "== validation set: reusing $DATA (FORCE_GEN=1 regenerates)"
fi

rm -rf "$RES"; mkdir -p "$RES/loopctl"
export LOOPCTL DATA RES BENCH PY
t0=$(date +%s.%N)
echo "== loopctl analyze --tempo --track, --onsets --decision"
for n in $(clips); do echo "$n"; done | xargs -P "$JOBS" -n 1 sh -c '
  "$LOOPCTL" analyze "$DATA/wav/$0.wav" --tempo --track > "$RES/loopctl/$0.bpm" ||
    echo "loopctl analyze --tempo failed on $0" >&2
  "$LOOPCTL" analyze "$DATA/wav/$0.wav" --onsets --decision > "$RES/loopctl/$0.onsets" ||
    echo "loopctl analyze --onsets failed on $0" >&2
  "$LOOPCTL" analyze "$DATA/wav/$0.wav" --beats > "$RES/loopctl/$0.beats" ||
    echo "loopctl analyze --beats failed on $0" >&2'
METHODS="loopctl=$RES/loopctl"
ONSET_METHODS=""
AUBIO_ONSET="hfc specflux complex energy specdiff phase kl mkl"
if command -v aubio >/dev/null 2>&1; then
  echo "== aubio tempo, aubiotrack"
  mkdir -p "$RES/aubio-tempo" "$RES/aubiotrack"
  for n in $(clips); do echo "$n"; done | xargs -P "$JOBS" -n 1 sh -c '
    aubio tempo "$DATA/wav/$0.wav" | awk "/bpm/ && \$1+0 > 0 {print \$1}" > "$RES/aubio-tempo/$0.bpm"
    if command -v aubiotrack >/dev/null 2>&1; then
      aubiotrack -i "$DATA/wav/$0.wav" > "$RES/aubiotrack/$0.beats"
      "$PY" "$BENCH/beats2bpm.py" "$RES/aubiotrack/$0.beats" > "$RES/aubiotrack/$0.bpm"
    fi'
  METHODS="$METHODS aubio-tempo=$RES/aubio-tempo"
  command -v aubiotrack >/dev/null 2>&1 && METHODS="$METHODS aubiotrack=$RES/aubiotrack"
  if command -v aubioonset >/dev/null 2>&1; then
    # every onset method of aubioonset (default = hfc), as in the dev set's run_aubio.sh
    echo "== aubioonset: $AUBIO_ONSET"
    for m in $AUBIO_ONSET; do
      mkdir -p "$RES/aubioonset-$m"
      for n in $(clips); do echo "$m $n"; done
    done | xargs -P "$JOBS" -n 2 sh -c 'aubioonset -O "$0" -i "$DATA/wav/$1.wav" > "$RES/aubioonset-$0/$1.onsets"'
    for m in $AUBIO_ONSET; do ONSET_METHODS="$ONSET_METHODS aubioonset-$m=$RES/aubioonset-$m"; done
  fi
  if /usr/bin/python3 -c 'import aubio' >/dev/null 2>&1; then
    echo "== aubio live tempo (aubio_live.py)"
    /usr/bin/python3 "$BENCH/aubio_live.py" --data "$DATA" --gt "$GT" --out "$RES" --methods "" >/dev/null
    METHODS="$METHODS aubio-live-tempo=$RES/aubio-live-tempo"
  fi
else
  echo "== aubio not installed (apt-get install aubio-tools python3-aubio): loopctl only"
fi
run_s=$("$PY" -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$(date +%s.%N)")

REPORT="$RES/report.md"
{
  echo "# tempo validation set: loopctl analyze$(command -v aubio >/dev/null 2>&1 && echo ' vs aubio') ($(date -u +%Y-%m-%d), loopctl: $LOOPCTL)"
  echo
  echo "analysis of $(clips | wc -w) clips: ${run_s} s wall, $JOBS jobs"
  echo
  # shellcheck disable=SC2086
  "$PY" "$BENCH/score.py" --gt "$GT" --per-clip --json "$RES/scores.json" $METHODS $ONSET_METHODS | tail -n +2 |
    "$PY" -c 'import re, sys  # drop the empty tempo-step tables (methods without a tempo track)
sys.stdout.write(re.sub(r"### tempo steps: [^\n]*\n\n\|[^\n]*\n\|[-|]*\n\n", "", sys.stdin.read()))'
  # shellcheck disable=SC2086
  "$PY" - "$GT" "$BENCH" $METHODS <<'EOF'
import json, os, sys
gt, bench = sys.argv[1], sys.argv[2]
sys.path.insert(0, bench)
import score                                    # noqa: E402  read_bpm / global_tempo as scored
methods = [m.split("=", 1) for m in sys.argv[3:]]
# constant-tempo clips; the tempo steps are scored by score.py (settle)
clips = [c for c in json.load(open(gt))["clips"] if c.get("bpm") is not None]
TOL = 0.04
FACT = [(2.0, "x2"), (0.5, "x1/2"), (3.0, "x3"), (1 / 3.0, "x1/3")]


def near(est, ref):
    return abs(est - ref) <= TOL * ref


def match(est, c):
    if est is None:
        return "-"
    if near(est, c["bpm"]):
        return "bpm"
    for a in c.get("alt_bpm", []):
        if near(est, a):
            return "alt %g" % a
    for f, lab in FACT:
        if near(est, f * c["bpm"]):
            return lab
    return "no"


est = {lab: {c["name"]: score.global_tempo(score.read_bpm(os.path.join(d, c["name"] + ".bpm")), c["duration"])
             for c in clips} for lab, d in methods}
hdr = ["clip", "meter", "font", "noise", "true", "alt"]
for lab, _ in methods:
    hdr += [lab, "ratio", "match"]
rows = []
for c in clips:
    nz = c.get("noise")
    r = [c["name"], c["meter"], c["soundfont"].split("_")[0].split(".")[0],
         "%s %g dB" % (nz["colour"].replace("noise", ""), nz["snr_db"]) if nz else "-",
         "%g" % c["bpm"], ",".join("%g" % a for a in c["alt_bpm"]) or "-"]
    for lab, _ in methods:
        e = est[lab][c["name"]]
        r += ["%.1f" % e if e is not None else "-", "%.3f" % (e / c["bpm"]) if e is not None else "-", match(e, c)]
    rows.append(r)
print("## per clip: estimate = median of the track over the second half (score.py), "
      "match = within 4 % of bpm, of an alt_bpm, or of x2/x1/2/x3/x1/3 bpm\n")
print(score.table(hdr, rows))
print()
sumrows = []
n = len(clips)
for lab, _ in methods:
    ms = [match(est[lab][c["name"]], c) for c in clips]
    a1 = sum(m == "bpm" for m in ms)
    alt = sum(m == "bpm" or m.startswith("alt") for m in ms)
    a2 = sum(score.acc2(est[lab][c["name"]], c["bpm"]) for c in clips)
    sumrows.append([lab, "%d/%d = %.2f" % (a1, n, a1 / n), "%d/%d = %.2f" % (alt, n, alt / n),
                    "%d/%d = %.2f" % (a2, n, a2 / n)])
print(score.table(["method", "Acc1 (bpm)", "bpm or alt_bpm", "Acc2 (x1, 2, 1/2, 3, 1/3)"], sumrows))
EOF
  echo
  # shellcheck disable=SC2046  # label=dir words
  "$PY" "$HERE/beat_score.py" --gt "$GT" "loopctl=$RES/loopctl" $([ -d "$RES/aubiotrack" ] && echo "aubiotrack=$RES/aubiotrack")
} | tee "$REPORT"
echo "== wrote $REPORT"
