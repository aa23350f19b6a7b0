"""The CarRacing card's evaluation row, from the JSON reports of `hebbkit eval --json`.

    .venv/bin/python experiments/carracing_scores.py models/carracing-paper/eval_100_episodes.json \
        models/carracing-paper/eval_100_episodes_envpool.json

Prints one Markdown table row per report: the env, mean +- std, median, worst, best, the episodes scoring >= 800
(the issue's target for the mean) and the laps finished before the step limit. A lap is finished when every tile has
been visited: CarRacing then ends the episode with a score of exactly 1000 - 0.1 x steps (1,000 points shared by
the tiles, -0.1 per frame); an episode that ends early with any other score left the playfield (-100).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TARGET = 800.0
ENV_NAMES = {"gymnasium": "Gymnasium `CarRacing-v3`", "envpool": "envpool `CarRacing-v3`"}


@dataclass(frozen=True)
class ScoreRow:
    """One evaluation's summary, as the card's table shows it."""

    env: str
    episodes: int
    mean: float
    std: float
    median: float
    worst: float
    best: float
    at_target: int
    laps_finished: int
    left_playfield: int

    def cells(self) -> str:
        """The row after its env column, as the card quotes it."""
        return (f"| {self.mean:.1f} +- {self.std:.1f} | {self.median:.1f} | {self.worst:.1f} | {self.best:.1f} | "
                f"{self.at_target} | {self.laps_finished} |")

    def markdown(self) -> str:
        return f"| {ENV_NAMES.get(self.env, self.env)} " + self.cells()


def finished_lap(score: float, steps: int, max_steps: int) -> bool:
    """Whether an episode ended before the step limit because every tile was visited."""
    return steps < max_steps and abs(score - (1000.0 - 0.1 * steps)) < 0.05


def score_row(report: dict) -> ScoreRow:
    """Summarise a `hebbkit eval --json` report of a CarRacing driver (one morphology: `standard`)."""
    config = report.get("config", {})
    episodes = report.get("morphologies", {}).get("standard", {}).get("episodes")
    if not episodes:
        raise ValueError("not a CarRacing evaluation: no episodes under morphologies.standard")
    max_steps = int(config.get("max_steps", 1000))
    scores = np.array([float(e["distance"]) for e in episodes])
    steps = [int(e["steps"]) for e in episodes]
    early = [s < max_steps for s in steps]
    laps = [finished_lap(score, n, max_steps) for score, n in zip(scores, steps, strict=True)]
    env = config.get("carracing_env", "gymnasium")
    return ScoreRow(env=env, episodes=len(episodes), mean=float(scores.mean()), std=float(scores.std()),
                    median=float(np.median(scores)), worst=float(scores.min()), best=float(scores.max()),
                    at_target=int((scores >= TARGET).sum()), laps_finished=sum(laps),
                    left_playfield=sum(e and not lap for e, lap in zip(early, laps, strict=True)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("reports", nargs="+", type=Path, help="JSON files written by `hebbkit eval --json`")
    arguments = parser.parse_args(argv)
    rows = []
    for path in arguments.reports:
        try:
            rows.append(score_row(json.loads(path.read_text())))
        except (OSError, ValueError, KeyError, TypeError) as error:
            parser.error(f"{path}: {error}")
    print(f"| env | score (mean +- std) | median | worst | best | episodes >= {TARGET:.0f} | "
          "laps finished before the step limit |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(row.markdown())
    for path, row in zip(arguments.reports, rows, strict=True):
        print(f"{path}: {row.episodes} episodes, {row.left_playfield} left the playfield")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
