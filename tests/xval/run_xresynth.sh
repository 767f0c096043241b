#!/usr/bin/env bash
# run_xresynth.sh - tempo and onsets of `loopctl analyze` on the validation set's MIDI
# (tests/xval/gen_xval.py: 3/4, 6/8, 12/8, 7/8, 5/4, pads, tempo steps) rendered with
# the three soundfonts it was not rendered with: FluidR3 (the development set's),
# OPL-3_FM_128M and Csound's sf_GMbank.  The same notes, meters and tempi with other
# instruments, scored against the same note times, with every aubioonset method beside
# it: run_resynth.sh with the validation set in place of the development set.
#
#   tests/xval/run_xresynth.sh [build/loopctl]        (make bench-analysis-xresynth)
#
# REF=path/to/another/loopctl scores a second binary beside it.  Generates the
# validation set first (run_xval.sh) if build/analysis-xval has no MIDI yet.
# Output under build/analysis-xresynth/ (report.md; layout as run_resynth.sh's).
# Environment: SOUNDFONTS="a.sf2 b.sf3" (default the three above), OUT=dir, JOBS=n.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
XV="$ROOT/build/analysis-xval"
if [ ! -f "$XV/ground_truth.json" ] || [ -z "$(ls "$XV/data/midi" 2>/dev/null)" ]; then
  echo "== no validation set yet: generating it (run_xval.sh)"
  OUT="$XV" "$HERE/run_xval.sh" "${1:-$ROOT/build/loopctl}" >/dev/null
fi
export DEV="$XV" OUT="${OUT:-$ROOT/build/analysis-xresynth}" SET_NAME="validation set"
export SOUNDFONTS="${SOUNDFONTS:-/usr/share/sounds/sf2/FluidR3_GM.sf2 /usr/share/sounds/sf2/OPL-3_FM_128M.sf2 /usr/share/sounds/sf2/sf_GMbank.sf2}"
exec "$HERE/run_resynth.sh" "$@"
