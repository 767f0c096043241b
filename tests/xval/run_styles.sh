#!/usr/bin/env bash
# run_styles.sh - tempo (and onsets and beats) of `loopctl analyze` on nine band
# styles that no rule was shaped on (tests/xval/gen_styles.py: ska, disco, a
# country train beat, a polka, fast rock, funk, d-beat, a reggae one-drop, slow
# R&B), each rendered with both of the validation set's soundfonts, next to
# aubiotrack and aubio's onset methods.
#
#   tests/xval/run_styles.sh [build/loopctl]        (make bench-analysis-styles)
#
# With REF=path/to/another/loopctl, that binary is scored beside it.  Installs
# nothing.  Output under build/analysis-styles/:
#   data/wav/*.wav, data/midi/, ground_truth.json   gen_styles.py (~30 s; FORCE_GEN=1 rerenders)
#   data/results/<label>/<clip>.bpm, .onsets, .beats
#   report.md                              score.py --summary by soundfont, beats, and
#                                          each clip's reading
# Environment: BENCH=path/to/analysis-bench (default ../shared/analysis-bench), OUT=dir, JOBS=n.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=tests/xval/common.sh
. "$HERE/common.sh"
bench_env analysis-styles "${1:-}"
bench_check bench-analysis-styles "fluidsynth sox timgm6mb-soundfont musescore-general-soundfont-small" \
  /usr/share/sounds/sf2/TimGM6mb.sf2 /usr/share/sounds/sf3/MuseScore_General_Lite.sf3

GT="$OUT/ground_truth.json"
if [ "${FORCE_GEN:-0}" = 1 ] || [ ! -f "$GT" ] || [ "$HERE/gen_styles.py" -nt "$GT" ] ||
   [ -z "$(ls "$OUT/data/wav" 2>/dev/null)" ]; then
  echo "== rendering the band styles into $OUT/data/wav"
  rm -rf "$OUT/data"
  "$PY" "$HERE/gen_styles.py" --bench "$BENCH" --out "$OUT/data" --gt "$GT" --jobs "$JOBS" | tail -n 1
else
  echo "== reusing $OUT/data/wav (FORCE_GEN=1 rerenders)"
fi
D="$OUT/data"
export BENCH PY

methods="" onset_methods="" tempo_methods=""
echo "== loopctl analyze"
run_loopctl "$D"
echo "== aubioonset, aubiotrack (cached)"
run_aubioonset "$D"
run_aubiotrack "$D"

REPORT="$OUT/report.md"
{
  echo "# band styles: loopctl analyze ($(date -u +%Y-%m-%d), loopctl: $LOOPCTL${REF:+, REF: $REF})"
  echo
  # shellcheck disable=SC2086
  # (no tempo steps here: their empty tables are left out)
  "$PY" "$BENCH/score.py" --gt "$GT" --summary --json "$OUT/scores.json" $methods $onset_methods $tempo_methods |
    tail -n +2 | awk '/^### tempo steps/ { skip = 1; next } /^#/ { skip = 0 } !skip'
  echo
  beat_report "$GT" "$D/aubiotrack"
  echo "## each clip's reading (= Acc1, ~ Acc2 only, X neither)"
  echo
  # shellcheck disable=SC2086
  PYTHONPATH="$HERE:$BENCH" "$PY" - "$GT" $methods $tempo_methods <<'PY'
import sys
import score
from tempo_read import readings
clips, meth, read = readings(sys.argv)
print("| clip | BPM | %s |" % " | ".join(lab for lab, _ in meth))
print("|---|---|%s" % ("---|" * len(meth)))
for c in clips:
    cells = []
    for lab, _ in meth:
        e, ok = read[(lab, c["name"])]
        mark = "=" if ok else ("~" if e is not None and score.acc2(e, c["bpm"]) else "X")
        cells.append("%s %s" % ("unknown" if e is None else "%.1f" % e, mark))
    print("| %s | %g | %s |" % (c["name"], c["bpm"], " | ".join(cells)))
print()
PY
} >"$REPORT"
cat "$REPORT"
echo "== wrote $REPORT"
