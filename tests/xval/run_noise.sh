#!/usr/bin/env bash
# run_noise.sh - onsets and tempo of `loopctl analyze` as the noise grows: every
# constant-tempo clip of the development set, clean and with white and pink noise
# at 10, 5 and 0 dB SNR (tests/xval/noise.py), next to every aubioonset method and
# aubiotrack on the same files.  The development set's own noisy clips are at
# 20 dB, the validation set's at 10 and 15 dB.
#
#   tests/xval/run_noise.sh [build/loopctl]        (make bench-analysis-noise)
#
# With REF=path/to/another/loopctl, that binary is scored beside it.  Installs
# nothing.  Output under build/analysis-noise/:
#   wav/*.wav, ground_truth.json           noise.py (FORCE_GEN=1 writes them again)
#   results/<label>/<clip>.bpm, .onsets    analyze --tempo --track, --onsets --decision
#   aubioonset-<m>/<clip>.onsets           aubioonset -O <m> (kept until the wav changes)
#   aubiotrack/<clip>.bpm                  aubiotrack beats -> tempo track (beats2bpm.py)
#   report.md                              score.py --summary by condition, loopctl's
#                                          onset F against aubio's best, and the clips
#                                          whose tempo reading the noise changes
# Environment: BENCH=path/to/analysis-bench (default ../shared/analysis-bench),
#              DEV=dir (default build/analysis-bench), OUT=dir, JOBS=n.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=tests/xval/common.sh
. "$HERE/common.sh"
bench_env analysis-noise "${1:-}"

bench_prepare bench-analysis-noise "fluidsynth sox fluid-soundfont-gm"
if [ "${FORCE_GEN:-0}" = 1 ] || [ ! -f "$OUT/ground_truth.json" ] || [ "$HERE/noise.py" -nt "$OUT/ground_truth.json" ] ||
   [ "$DEV/ground_truth.json" -nt "$OUT/ground_truth.json" ]; then
  echo "== writing the noisy copies into $OUT/wav"
  rm -rf "$OUT/wav"
  "$PY" "$HERE/noise.py" --bench "$BENCH" --dev "$DEV" --out "$OUT" --jobs "$JOBS"
else
  echo "== reusing $OUT/wav (FORCE_GEN=1 writes it again)"
fi
D="$OUT"
export BENCH PY

methods=""; onset_methods=""
echo "== loopctl analyze"
run_loopctl "$D"
tempo_methods="$methods"
echo "== aubioonset: $AUBIO_ONSET (cached)"
run_aubioonset "$D"
echo "== aubiotrack (cached)"
run_aubiotrack "$D"

REPORT="$OUT/report.md"
{
  echo "# the development set under noise: loopctl analyze ($(date -u +%Y-%m-%d), loopctl: $LOOPCTL${REF:+, REF: $REF})"
  echo
  # shellcheck disable=SC2086
  # (no tempo steps here: their empty tables are left out)
  "$PY" "$BENCH/score.py" --gt "$D/ground_truth.json" --summary --json "$D/scores.json" $tempo_methods $onset_methods |
    tail -n +2 | awk '/^### tempo steps/ { skip = 1; next } /^#/ { skip = 0 } !skip'
  echo
  echo "## onset F (mean of per-clip F, +-50 ms): loopctl against aubio's best method per condition"
  echo
  "$PY" "$HERE/aubio_best.py" "$D/scores.json" condition
  beat_report "$D/ground_truth.json" "$D/aubiotrack"
  echo "## tempo readings that the noise changes (Acc1 against the clean clip's)"
  echo
  # shellcheck disable=SC2086
  PYTHONPATH="$HERE:$BENCH" "$PY" - "$D/ground_truth.json" $methods <<'EOF'
import sys
from tempo_read import readings
clips, meth, read = readings(sys.argv)
for lab, _ in meth:
    print("### %s" % lab)
    print()
    print("| clip | true BPM | clean | under noise, Acc1 changed |")
    print("|---|---|---|---|")
    base = {}
    for c in clips:
        if c["category"] == "clean":
            base[c["name"][:-len("_clean")]] = (c, read[(lab, c["name"])])
    for stem, (c, (e0, ok0)) in base.items():
        ch = []
        for n in clips:
            if n["name"].startswith(stem + "_") and n["category"] != "clean":
                e, ok = read[(lab, n["name"])]
                if ok != ok0:
                    ch.append("%s %s" % (n["category"], "unknown" if e is None else "%.1f" % e))
        if ch:
            print("| %s | %g | %s | %s |" % (stem, c["bpm"], "unknown" if e0 is None else "%.1f" % e0, ", ".join(ch)))
    print()
EOF
} >"$REPORT"
cat "$REPORT"
echo "== wrote $REPORT"
