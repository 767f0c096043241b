#!/usr/bin/env bash
# run_steps.sh - the settle time of `loopctl analyze --tempo --track` after 40 tempo steps
# (tests/xval/gen_steps.py: four grooves x ten step ratios, four soundfonts).
#
#   tests/xval/run_steps.sh [build/loopctl]        (make bench-analysis-steps)
#
# With REF=path/to/another/loopctl, that binary is scored beside it.  Installs nothing.
# Output under build/analysis-steps/:
#   wav/*.wav, midi/, ground_truth.json   gen_steps.py (~30 s; FORCE_GEN=1 rerenders)
#   results/<label>/<clip>.bpm|.onsets    analyze --tempo --track / --onsets --decision
#   report.md                             settle time per step, median, steps over 4 s
# Environment: BENCH=path/to/analysis-bench (default ../shared/analysis-bench), OUT=dir, JOBS=n.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=tests/xval/common.sh
. "$HERE/common.sh"
bench_env analysis-steps "${1:-}"
FONTS="/usr/share/sounds/sf2/TimGM6mb.sf2 /usr/share/sounds/sf3/MuseScore_General_Lite.sf3 /usr/share/sounds/sf2/sf_GMbank.sf2 /usr/share/sounds/sf2/FluidR3_GM.sf2"

# shellcheck disable=SC2086  # $FONTS: one path per word
bench_check bench-analysis-steps "fluidsynth sox timgm6mb-soundfont musescore-general-soundfont-small csound-soundfont fluid-soundfont-gm" $FONTS

GT="$OUT/ground_truth.json"
if [ "${FORCE_GEN:-0}" = 1 ] || [ ! -f "$GT" ] || [ "$HERE/gen_steps.py" -nt "$GT" ] || [ -z "$(ls "$OUT/wav" 2>/dev/null)" ]; then
  echo "== rendering the tempo steps into $OUT/wav"
  "$PY" "$HERE/gen_steps.py" --bench "$BENCH" --out "$OUT" --gt "$GT" --jobs "$JOBS" --soundfonts "$(echo "$FONTS" | tr ' ' ,)" | tail -n 1
else
  echo "== tempo steps: reusing $OUT/wav (FORCE_GEN=1 rerenders)"
fi
methods=""
run_loopctl "$OUT"
REPORT="$OUT/report.md"
# shellcheck disable=SC2086  # $methods: label=dir words
"$PY" "$BENCH/score.py" --gt "$GT" --json "$OUT/scores.json" $methods >/dev/null
{
  echo "# tempo steps: settle time of loopctl analyze --tempo --track ($(date -u +%Y-%m-%d), loopctl: $LOOPCTL${REF:+, REF: $REF})"
  echo
  echo "Seconds from the step until the track stays within 4 % of the new tempo (\`never\`: not by the end)."
  echo
  "$PY" - "$OUT/scores.json" <<'EOF'
import json, statistics, sys
m = json.load(open(sys.argv[1]))["methods"]
labs = list(m)
st = {lab: {s["clip"]: s["settle1_s"] for s in m[lab]["tempo"]["steps"] if s["segment"] == 1} for lab in labs}
clips = list(st[labs[0]])
cell = lambda v: "never" if v is None or v == float("inf") else "%.1f" % v
print("| clip | " + " | ".join(labs) + " |")
print("|---|" + "---|" * len(labs))
for c in clips:
    print("| %s | %s |" % (c, " | ".join(cell(st[lab][c]) for lab in labs)))
val = lambda v: float("inf") if v is None else v
for name, f in (("median", lambda v: cell(statistics.median([val(x) for x in v]))),
                ("over 4 s", lambda v: "%d of %d" % (sum(val(x) > 4 for x in v), len(v))),
                ("longest", lambda v: cell(max(v, key=val)))):
    print("| **%s** | %s |" % (name, " | ".join(f(list(st[lab].values())) for lab in labs)))
EOF
  echo
  beat_report "$GT"
} >"$REPORT"
cat "$REPORT"
echo "== wrote $REPORT"
