#!/usr/bin/env bash
# run_cycles.sh - the beats first loops are counted in (tests/xval/cycles.py):
# loops of 1, 2 and 4 bars from the first downbeat and from 8 s on, on every
# benchmark set that has been rendered (the development set is generated if
# it is missing; the others come from their own benchmarks).
#
#   tests/xval/run_cycles.sh [build/loopctl]        (make bench-analysis-cycles)
#
# With REF=path/to/another/loopctl, that binary is scored beside it.  Installs
# nothing.  Output: build/analysis-cycles/report.md.
# Environment: BENCH=path/to/analysis-bench (default ../shared/analysis-bench),
#              DEV=dir of the development set, OUT=dir, JOBS=n.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=tests/xval/common.sh
. "$HERE/common.sh"
bench_env analysis-cycles "${1:-}"
bench_prepare bench-analysis-cycles "fluidsynth sox fluid-soundfont-gm" /usr/share/sounds/sf2/FluidR3_GM.sf2
mkdir -p "$OUT"

B="$ROOT/build"
sets="dev=$DEV/ground_truth.json"
missing=""
add() { # LABEL GT COMMAND: the set, or the command that renders it, once
  if [ -f "$2" ]; then
    sets="$sets $1=$2"
  else
    case "$missing" in *"\`$3\`"*) ;; *) missing="$missing${missing:+, }\`$3\`" ;; esac
  fi
}
add validation "$B/analysis-xval/ground_truth.json" "make bench-analysis-xval"
add tempi "$B/analysis-tempi/ground_truth.json" "make bench-analysis-tempi"
add tempi-xval "$B/analysis-tempi-xval/ground_truth.json" "SET=xval make bench-analysis-tempi"
for sf in TimGM6mb MuseScore_General_Lite OPL-3_FM_128M sf_GMbank; do
  add "$sf" "$B/analysis-resynth/$sf/ground_truth.json" "make bench-analysis-resynth"
done

REPORT="$OUT/report.md"
{
  echo "# first loops: the beats they are counted in ($(date -u +%Y-%m-%d), loopctl: $LOOPCTL${REF:+, REF: $REF})"
  echo
  [ -z "$missing" ] || echo "Sets not rendered yet are left out; to add them: $missing."
  echo
  # shellcheck disable=SC2086
  "$PY" "$HERE/cycles.py" --jobs "$JOBS" --list ${REF:+--ref "$REF"} "$LOOPCTL" $sets
} >"$REPORT"
sed -n '/^| set | loops from/,/^$/p' "$REPORT"
echo "== wrote $REPORT"
