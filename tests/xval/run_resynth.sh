#!/usr/bin/env bash
# run_resynth.sh - tempo and onsets of `loopctl analyze` on the development set's MIDI
# rendered with other soundfonts instead of FluidR3: the validation set's (TimGM6mb,
# MuseScore General Lite), an FM one (OPL-3_FM_128M, an OPL3 chip's sounds) and
# Csound's sf_GMbank: the same notes and tempi with other instruments
# (tests/xval/resynth.py), scored against the same note times; every aubioonset method
# runs beside it when aubio-tools is installed.
#
#   tests/xval/run_resynth.sh [build/loopctl]        (make bench-analysis-resynth)
#
# With REF=path/to/another/loopctl, that binary is scored beside it, with the clips
# whose reading differs listed.  Installs nothing.  Output under build/analysis-resynth/:
#   <sf>/wav/*.wav, <sf>/ground_truth.json    resynth.py (~10 s each; FORCE_GEN=1 rerenders)
#   <sf>/results/<label>/<clip>.bpm           analyze --tempo --track
#   <sf>/results/<label>/<clip>.onsets        analyze --onsets --decision
#   <sf>/aubioonset-<m>/<clip>.onsets         aubioonset -O <m> (kept until the wav changes)
#   report.md                                 score.py --summary per soundfont, and
#                                             loopctl's onset F against aubio's best
# Environment: BENCH=path/to/analysis-bench (default ../shared/analysis-bench),
#              SOUNDFONTS="a.sf2 b.sf3" (default the four above),
#              DEV=dir (default build/analysis-bench), OUT=dir, JOBS=n,
#              SET_NAME (the report's title; default "development set").
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=tests/xval/common.sh
. "$HERE/common.sh"
bench_env analysis-resynth "${1:-}"
SOUNDFONTS="${SOUNDFONTS:-/usr/share/sounds/sf2/TimGM6mb.sf2 /usr/share/sounds/sf3/MuseScore_General_Lite.sf3 /usr/share/sounds/sf2/OPL-3_FM_128M.sf2 /usr/share/sounds/sf2/sf_GMbank.sf2}"

bench_prepare bench-analysis-resynth "fluidsynth sox timgm6mb-soundfont musescore-general-soundfont-small opl3-soundfont csound-soundfont" $SOUNDFONTS

export BENCH
mkdir -p "$OUT"
REPORT="$OUT/report.md"
{
  echo "# ${SET_NAME:-development set} re-rendered: loopctl analyze --tempo --track ($(date -u +%Y-%m-%d), loopctl: $LOOPCTL${REF:+, REF: $REF})"
  echo
} >"$REPORT"
for sf in $SOUNDFONTS; do
  tag="$(basename "$sf")"; tag="${tag%.*}"
  D="$OUT/$tag"
  if [ "${FORCE_GEN:-0}" = 1 ] || [ ! -f "$D/ground_truth.json" ] || [ "$HERE/resynth.py" -nt "$D/ground_truth.json" ]; then
    echo "== rendering the development set's MIDI with $tag"
    "$PY" "$HERE/resynth.py" --bench "$BENCH" --dev "$DEV" --sf "$sf" --out "$D" --jobs "$JOBS"
  else
    echo "== $tag: reusing $D/wav (FORCE_GEN=1 rerenders)"
  fi
  methods=""; onset_methods=""
  run_loopctl "$D"
  run_aubioonset "$D"
  {
    echo "## $tag"
    echo
    "$PY" "$BENCH/score.py" --gt "$D/ground_truth.json" --summary --json "$D/scores.json" $methods $onset_methods | tail -n +2
    echo
    echo "### onset F (mean of per-clip F, +-50 ms): loopctl against aubio's best method per category"
    echo
    "$PY" "$HERE/aubio_best.py" "$D/scores.json"
    beat_report "$D/ground_truth.json"
    echo "### constant-tempo clips not read at the written tempo (Acc1)"
    echo
    PYTHONPATH="$HERE:$BENCH" "$PY" - "$D/ground_truth.json" $methods <<'EOF'
import sys
import score
from tempo_read import readings
clips, meth, read = readings(sys.argv)
print("| clip | true BPM | " + " | ".join(lab for lab, _ in meth) + " |")
print("|---|---|" + "---|" * len(meth))
for c in clips:
    if not c.get("bpm"):
        continue
    est = [read[(lab, c["name"])][0] for lab, _ in meth]
    if all(read[(lab, c["name"])][1] for lab, _ in meth):
        continue
    cell = lambda e: "unknown" if e is None else "%.1f%s" % (e, "" if score.acc1(e, c["bpm"]) else
                                                             (" (Acc2)" if score.acc2(e, c["bpm"]) else " (wrong)"))
    print("| %s | %g | %s |" % (c["name"], c["bpm"], " | ".join(cell(e) for e in est)))
EOF
    echo
  } >>"$REPORT"
done
cat "$REPORT"
echo "== wrote $REPORT"
