"""Did a training run leave the standing plateau? A population of static networks that only stands (and drifts)
scores a few distance units: the Ant's from-scratch static runs under sampled bodies never had a candidate above 7 in
up to 67 generations, the A1's fan-in-uniform static networks score -2.3 to 3.6 untrained; `ant-static`, which left
it, had a candidate at 13.6 by generation 15 and 64.7 by generation 67 (docs/experiments.md, "The like-for-like
baseline"). Exit status 0 if the best candidate in RUN_DIR/log.csv ever scored at least --min-best, else 1; one line
either way, for the queues (experiments/run_a1.sh).

    python experiments/left_the_ground.py RUN_DIR [--min-best 20]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hebbkit.runtime.errors import ConfigError
from hebbkit.trainer.evaluate import read_log


def best_candidate(run_dir: Path) -> tuple[float, int]:
    """The highest candidate fitness in a run's log.csv, and the number of generations logged."""
    rows = read_log(run_dir)
    return max(float(row["fitness_max"]) for row in rows), len(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("run_dir", type=Path, help="a training run directory (its log.csv is read)")
    parser.add_argument("--min-best", type=float, default=20.0,
                        help="the best candidate's fitness that counts as having left the plateau")
    arguments = parser.parse_args(argv)
    try:
        best, generations = best_candidate(arguments.run_dir)
    except (ConfigError, OSError, ValueError, KeyError) as error:
        print(f"left_the_ground: cannot read {arguments.run_dir / 'log.csv'}: {error}", file=sys.stderr)
        return 2
    left = best >= arguments.min_best
    verdict = "left the standing plateau" if left else "still on the standing plateau"
    print(f"{arguments.run_dir}: {verdict}: best candidate {best:.1f} in {generations} generations "
          f"(threshold {arguments.min_best:g})")
    return 0 if left else 1


if __name__ == "__main__":
    sys.exit(main())
