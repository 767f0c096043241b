#!/usr/bin/env bash
# run_tempi.sh - the tempo of `loopctl analyze` on the development set played at
# other tempi (tests/xval/gen_tempi.py: every constant-tempo clip at 0.8, 0.9,
# 1.12 and 1.25 times its tempo, the same parts and soundfont), next to aubiotrack.
# With SET=xval, the validation set's constant-tempo clips instead (other meters,
# its two soundfonts), under build/analysis-tempi-xval/.
#
#   tests/xval/run_tempi.sh [build/loopctl]        ([SET=xval] make bench-analysis-tempi)
#
# With REF=path/to/another/loopctl, that binary is scored beside it.  Installs
# nothing.  Output under build/analysis-tempi/:
#   data/wav/*.wav, data/midi/, ground_truth.json   gen_tempi.py (~40 s; FORCE_GEN=1 rerenders)
#   results/<label>/<clip>.bpm, .onsets    analyze --tempo --track, --onsets --decision
#   aubiotrack/<clip>.bpm                  aubiotrack beats -> tempo track (beats2bpm.py)
#   report.md                              score.py --summary by tempo factor, and each
#                                          clip's reading at every factor
# Environment: BENCH=path/to/analysis-bench (default ../shared/analysis-bench),
#              FACTORS=0.8,0.9,1.12,1.25, OUT=dir, JOBS=n.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=tests/xval/common.sh
. "$HERE/common.sh"
SET="${SET:-dev}"
case "$SET" in
  dev)
    bench_env analysis-tempi "${1:-}"
    bench_check bench-analysis-tempi "fluidsynth sox fluid-soundfont-gm" /usr/share/sounds/sf2/FluidR3_GM.sf2 ;;
  xval)
    bench_env analysis-tempi-xval "${1:-}"
    bench_check bench-analysis-tempi "fluidsynth sox timgm6mb-soundfont musescore-general-soundfont-small" \
      /usr/share/sounds/sf2/TimGM6mb.sf2 /usr/share/sounds/sf3/MuseScore_General_Lite.sf3 ;;
  *) echo "run_tempi.sh: SET must be dev or xval, not $SET" >&2; exit 2 ;;
esac

GT="$OUT/ground_truth.json"
FACTORS="${FACTORS:-0.8,0.9,1.12,1.25}"
if [ "${FORCE_GEN:-0}" = 1 ] || [ ! -f "$GT" ] || [ "$HERE/gen_tempi.py" -nt "$GT" ] ||
   [ -z "$(ls "$OUT/data/wav" 2>/dev/null)" ] || [ "$(cat "$OUT/factors" 2>/dev/null)" != "$FACTORS" ]; then
  echo "== rendering the $SET set at other tempi ($FACTORS) into $OUT/data/wav"
  rm -rf "$OUT/data"
  "$PY" "$HERE/gen_tempi.py" --set "$SET" --bench "$BENCH" --out "$OUT/data" --gt "$GT" --jobs "$JOBS" \
    --factors "$FACTORS" | tail -n 1
  echo "$FACTORS" >"$OUT/factors"
else
  echo "== reusing $OUT/data/wav (FORCE_GEN=1 rerenders)"
fi
D="$OUT/data"
export BENCH PY

methods=""
echo "== loopctl analyze"
run_loopctl "$D"
tempo_methods="$methods"
echo "== aubiotrack (cached)"
run_aubiotrack "$D"

REPORT="$OUT/report.md"
{
  echo "# the $([ "$SET" = dev ] && echo development || echo validation) set at other tempi: loopctl analyze ($(date -u +%Y-%m-%d), loopctl: $LOOPCTL${REF:+, REF: $REF})"
  echo
  # shellcheck disable=SC2086
  # (no tempo steps here: their empty tables are left out)
  "$PY" "$BENCH/score.py" --gt "$GT" --summary --json "$OUT/scores.json" $tempo_methods |
    tail -n +2 | awk '/^### tempo steps/ { skip = 1; next } /^#/ { skip = 0 } !skip'
  echo
  beat_report "$GT" "$D/aubiotrack"
  echo "## each clip's reading at every tempo (= Acc1, ~ Acc2 only, X neither)"
  echo
  # shellcheck disable=SC2086
  PYTHONPATH="$HERE:$BENCH" "$PY" - "$GT" $tempo_methods <<'PY'
import sys
import score
from tempo_read import readings
clips, meth, read = readings(sys.argv)
stems = {}
for c in clips:
    stems.setdefault(c["name"].rsplit("_at", 1)[0], []).append(c)
for lab, _ in meth:
    print("### %s" % lab)
    print()
    print("| clip | readings (true BPM: estimate) | not Acc1 |")
    print("|---|---|---|")
    for stem, cs in stems.items():
        cells, bad = [], 0
        for c in sorted(cs, key=lambda c: c["bpm"]):
            e, ok = read[(lab, c["name"])]
            mark = "=" if ok else ("~" if e is not None and score.acc2(e, c["bpm"]) else "X")
            bad += not ok
            cells.append("%g: %s %s" % (round(c["bpm"], 1), "unknown" if e is None else "%.1f" % e, mark))
        print("| %s | %s | %d |" % (stem, ", ".join(cells), bad))
    print()
PY
} >"$REPORT"
cat "$REPORT"
echo "== wrote $REPORT"
