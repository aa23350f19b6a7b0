#!/usr/bin/env bash
# Choose which snapshot of a run to ship (the cards' rule): every candidate is re-scored on 20 fresh episodes
# (seeds 10,000,100-10,000,119: neither validation nor evaluation seeds) on the standard body and the two validation
# bodies outside every evaluation list, and ranked by the mean of the three; the evaluation bodies (the unseen list,
# damaged_left_front included) never take part in the choice.
#   experiments/rescore_snapshots.sh CANDIDATE.npz [CANDIDATE.npz ...]
# e.g. a run's latest.npz, best.npz and the snapshots its validation curve ranks highest. Prints one line per
# candidate (the three means and theirs), best first; the JSON reports stay in ${RESCORE_DIR:-runs/rescore}.
set -euo pipefail
cd "$(dirname "$0")/.."
HEBBKIT=${HEBBKIT:-.venv/bin/hebbkit}
PYTHON=${PYTHON:-.venv/bin/python}
out=${RESCORE_DIR:-runs/rescore}
mkdir -p "$out"
reports=()
for candidate in "$@"; do
    report="$out/$(echo "$candidate" | tr '/' '_' | sed 's/\.npz$//').json"
    "$HEBBKIT" eval "$candidate" --bodies standard rear_left:lower:0.4 rear_left:lower:1.5+rear_right:lower:1.5 \
        --episodes 20 --seed 10000100 --backend c --json --no-progress > "$report"
    reports+=("$report")
done
"$PYTHON" - "${reports[@]}" <<'PY'
import json
import sys

rows = []
for path in sys.argv[1:]:
    report = json.load(open(path))
    means = [body["distance_mean"] for body in report["morphologies"].values()]
    rows.append((sum(means) / len(means), report["artifact"], means))
for mean, artifact, means in sorted(rows, reverse=True):
    print(f"{mean:8.1f}  {artifact}  ({' / '.join(f'{m:.0f}' for m in means)}: standard, rear_left:lower:0.4, "
          f"rear lowers x1.5)")
PY
