#!/usr/bin/env bash
# run_downbeats.sh - the bar phase of `loopctl analyze --downbeats`: the development set
# (4/4, FluidR3), the validation set (3/4, 6/8, 12/8, 7/8, 5/4, 2/4 and 4/4; TimGM6mb and
# MuseScore General Lite) and copies of both that start on their second beat (pickup.py:
# the music's start, which the analysis takes for a downbeat, is then wrong).  Each clip
# is read with its own meter (--meter N); downbeat_score.py prints F and the bar phase's
# own accuracy (of the downbeats that fall on a beat, the share on a downbeat) next to
# chance (1/N).
#
#   tests/xval/run_downbeats.sh [build/loopctl]      (make bench-analysis-downbeats)
#
# With REF=path/to/another/loopctl, that binary is scored beside it (one without
# --downbeats is left out).  Installs nothing.  Reuses the development set under
# build/analysis-bench and the validation set under build/analysis-xval (rendering them
# first if they are missing: about 15 s and 40 s); output under build/analysis-downbeats/:
#   pickup-dev/, pickup-xval/          wav/*.wav and ground_truth.json (pickup.py)
#   results/<set>/<label>/<clip>.downbeats
#   report.md
# Environment: BENCH=path/to/analysis-bench (default ../shared/analysis-bench), OUT=dir, JOBS=n.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=tests/xval/common.sh
. "$HERE/common.sh"
bench_env analysis-downbeats "${1:-}"
bench_prepare bench-analysis-downbeats "fluidsynth sox fluid-soundfont-gm timgm6mb-soundfont musescore-general-soundfont-small" \
  /usr/share/sounds/sf2/FluidR3_GM.sf2 /usr/share/sounds/sf2/TimGM6mb.sf2 /usr/share/sounds/sf3/MuseScore_General_Lite.sf3

XV="$ROOT/build/analysis-xval"
if [ ! -f "$XV/ground_truth.json" ] || [ -z "$(ls "$XV/data/wav" 2>/dev/null)" ]; then
  echo "== generating the validation set into $XV/data"
  "$PY" "$HERE/gen_xval.py" --bench "$BENCH" --out "$XV/data" --gt "$XV/ground_truth.json" --jobs "$JOBS" | tail -n 1
fi
mkdir -p "$OUT"
for s in dev xval; do
  if [ "$s" = dev ]; then gt="$DEV/ground_truth.json"; wav="$DEV/data/wav"; else gt="$XV/ground_truth.json"; wav="$XV/data/wav"; fi
  if [ ! -f "$OUT/pickup-$s/ground_truth.json" ] || [ "$gt" -nt "$OUT/pickup-$s/ground_truth.json" ] ||
     [ "$HERE/pickup.py" -nt "$OUT/pickup-$s/ground_truth.json" ]; then
    rm -rf "$OUT/pickup-$s"
    "$PY" "$HERE/pickup.py" --gt "$gt" --wav "$wav" --out "$OUT/pickup-$s"
  fi
done

# set name, ground truth, wav dir
SETS="dev:$DEV/ground_truth.json:$DEV/data/wav
xval:$XV/ground_truth.json:$XV/data/wav
pickup-dev:$OUT/pickup-dev/ground_truth.json:$OUT/pickup-dev/wav
pickup-xval:$OUT/pickup-xval/ground_truth.json:$OUT/pickup-xval/wav"
labels="loopctl"
if [ -n "$REF" ]; then
  if "$REF" analyze --help 2>/dev/null | grep -q -- --downbeats; then
    labels="ref loopctl"
  else
    echo "== REF $REF has no --downbeats: not scored"
  fi
fi
REPORT="$OUT/report.md"
{
  echo "# downbeats: loopctl analyze --downbeats --meter N ($(date -u +%Y-%m-%d), loopctl: $LOOPCTL${REF:+, REF: $REF})"
  echo
  echo "F: the downbeats against the written ones (+-70 ms, from 5 s).  Bar phase: of the"
  echo "downbeats that fall on a written beat, the share on a written downbeat (chance: 1/N)."
  echo "The pickup sets start on the second beat of their first bar."
  echo
} >"$REPORT"
while IFS=: read -r s gt wav; do
  echo "== $s"
  pairs=""
  for lab in $labels; do
    bin="$LOOPCTL"; [ "$lab" = ref ] && bin="$REF"
    R="$OUT/results/$s/$lab"; rm -rf "$R"; mkdir -p "$R"
    export bin R wav
    "$PY" "$HERE/downbeat_score.py" --gt "$gt" --meters | xargs -P "$JOBS" -n 2 sh -c \
      '[ -f "$wav/$0.wav" ] || exit 0; "$bin" analyze "$wav/$0.wav" --downbeats --meter "$1" > "$R/$0.downbeats" 2>/dev/null || rm -f "$R/$0.downbeats"'
    pairs="$pairs $lab=$R"
  done
  { echo "## $s"; echo
    # shellcheck disable=SC2086  # label=dir words
    "$PY" "$HERE/downbeat_score.py" --gt "$gt" $pairs
    echo; } >>"$REPORT"
done <<<"$SETS"
cat "$REPORT"
