"""Does a run lead a reference run at an equal env-step budget on validation? Both runs' `validation.csv` (`hebbkit
validate`) are read as `hebbkit study` reads them: each body's distance is the mean over the last `--last` snapshots
within `--budget` env steps. The run leads when it walks further than the reference on the standard body and on the
mean of the other validation bodies (those neither trained on with fixed bodies: the study table's last column), the
two figures round 2 ranked arms by. Exit status 0 if it leads, 1 if not, 2 if a run cannot be read or has no
validation within the budget; one line either way, for the queues (experiments/run_robust_clock.sh).

    python experiments/leads_at_budget.py RUN REFERENCE --budget 40000000 [--last 3]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hebbkit.runtime.errors import ConfigError
from hebbkit.trainer.study import study_rows, validation_mean


def standard_and_others(row: dict, others: list[str]) -> tuple[float, float]:
    """A study row's standard-body distance and its mean over `others` (the study table's mean column, ValueError if
    any body is missing)."""
    missing = [body for body in ("standard", *others) if row["validation"].get(body) is None]
    if missing:
        raise ValueError(f"{row['run']} has no validation of {', '.join(missing)} within the budget")
    return row["validation"]["standard"], validation_mean(row, others)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("run", type=Path, help="the run directory to judge")
    parser.add_argument("reference", type=Path, help="the run directory it must beat")
    parser.add_argument("--budget", type=int, required=True, help="env steps: both runs are compared there")
    parser.add_argument("--last", type=int, default=3, help="snapshots averaged per body (5 episodes each)")
    arguments = parser.parse_args(argv)
    try:
        _, (run, reference) = study_rows((arguments.run, arguments.reference), arguments.budget, arguments.last)
        short = [row["run"] for row in (run, reference) if row["env_steps"] < arguments.budget]
        if short:
            raise ValueError(f"{', '.join(short)} has not trained to {arguments.budget / 1e6:g} M env steps yet")
        others = sorted(body for body in run["validation"] if body != "standard" and body in reference["validation"])
        if not others:
            raise ValueError("the two runs share no validation body besides the standard one")
        (run_standard, run_others), (reference_standard, reference_others) = (
            standard_and_others(row, others) for row in (run, reference))
    except (ConfigError, OSError, ValueError, KeyError) as error:
        print(f"leads_at_budget: cannot compare {arguments.run} with {arguments.reference}: {error}", file=sys.stderr)
        return 2
    leads = run_standard > reference_standard and run_others > reference_others
    print(f"{arguments.run} {'leads' if leads else 'does not lead'} {arguments.reference} at "
          f"{arguments.budget / 1e6:g} M env steps (last {arguments.last} snapshots): standard body "
          f"{run_standard:.0f} vs {reference_standard:.0f}, mean of {len(others)} other bodies {run_others:.0f} vs "
          f"{reference_others:.0f}")
    return 0 if leads else 1


if __name__ == "__main__":
    sys.exit(main())
