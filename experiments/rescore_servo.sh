#!/usr/bin/env bash
# Choose which snapshot of the servo model's run to ship (its card's rule): every candidate runs the sim-to-real
# suite on 20 fresh episodes per condition (seeds 1,000-1,019: neither the evaluation's 0-99 nor validation's), and
# candidates are ranked by the smallest share of their standard speed kept under a single perturbation (actuators,
# friction, mass, noise, latency, a leg breaking; the damaged bodies are reported, not ranked on), among those that
# walk at >= 0.5 body lengths/s on the standard body; then by that speed.
#   experiments/rescore_servo.sh CANDIDATE.npz [CANDIDATE.npz ...]
# Prints one line per candidate, best first; the suites stay in ${RESCORE_DIR:-runs/rescore-servo}/<candidate>/.
set -euo pipefail
cd "$(dirname "$0")/.."
HEBBKIT=${HEBBKIT:-.venv/bin/hebbkit}
PYTHON=${PYTHON:-.venv/bin/python}
out=${RESCORE_DIR:-runs/rescore-servo}
mkdir -p "$out"
reports=()
for candidate in "$@"; do
    folder="$out/$(echo "$candidate" | tr '/' '_' | sed 's/\.npz$//')"
    "$HEBBKIT" suite "$candidate" --suite sim2real --episodes 20 --seed 1000 --output "$folder" --json \
        --no-progress > "$folder.json"
    reports+=("$folder.json")
done
"$PYTHON" - "${reports[@]}" <<'PY'
import json
import sys

TARGET_SPEED = 0.5  # body lengths/s on the standard body
rows = []
for path in sys.argv[1:]:
    report = json.load(open(path))
    (label, results), = report["results"].items()
    perturbations = [c["name"] for c in report["conditions"] if c["morphology"] == "standard" and c["name"] != "standard"]
    speed = results["standard"]["speed_body_lengths_per_s"]
    shares = {name: results[name]["retained"] or 0.0 for name in perturbations}
    worst = min(shares, key=shares.get)
    rows.append((speed >= TARGET_SPEED, shares[worst], speed, report["artifacts"][label], worst))
for walks, share, speed, artifact, worst in sorted(rows, reverse=True):
    print(f"{share:6.0%}  {artifact}  (worst: {worst}; standard {speed:.2f} BL/s"
          f"{'' if walks else ', below 0.5: ranked last'})")
PY
