"""The Hebbian-vs-static table of issue 27's targets, from the files a shipped model's card is built on.

    .venv/bin/python experiments/like_for_like.py models/ant-robust models/ant-static-robust

Reads HEBBIAN/eval_100_episodes.json and STATIC/eval_100_episodes.json (`hebbkit eval --json`, standard body) and the
two suites that ran both models side by side (`hebbkit suite --suite unseen-bodies` and `--suite sim2real` with one
as the other's `--baseline`; looked up in STATIC/unseen-bodies and STATIC/suite, then in HEBBIAN's, or given with
--unseen and --sim2real). Prints one Markdown table: each target, both models' figures, whether it is met and, where
it is not, by how much. A suite that did not run these two models is refused by name, so a stale table cannot pass
for a fresh one.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hebbkit.trainer.suite import RETAINED_TARGET, category_means

STANDARD_TARGET = 1100.0
WALK_STEP_TARGET = 100
SUMMARY_FIELDS = {"episodes", "distance_mean", "distance_std", "walk_step_median"}


class TableError(Exception):
    """A missing or mismatched input file; the message names it."""


@dataclass(frozen=True)
class Row:
    """One line of the table: what is measured, the two figures, whether the target is met and by how much not."""

    measure: str
    hebbian: str
    static: str
    target: str
    met: bool
    miss: str = ""

    def cells(self) -> str:
        verdict = "yes" if self.met else f"no{': ' + self.miss if self.miss else ''}"
        return f"| {self.measure} | {self.hebbian} | {self.static} | {self.target} | {verdict} |"


def read_json(path: Path) -> dict:
    """A JSON report, or TableError naming the file."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise TableError(f"{path}: missing (ship the model first: experiments/ship_model.sh)") from None
    except json.JSONDecodeError as error:
        raise TableError(f"{path}: not JSON ({error.msg})") from None


def standard_summary(model: Path) -> dict:
    """The standard body's block of MODEL's 100-episode evaluation: its episodes and `summarise`'s figures."""
    path = model / "eval_100_episodes.json"
    report = read_json(path)
    summary = report.get("morphologies", {}).get("standard") if isinstance(report, dict) else None
    if not isinstance(summary, dict) or not SUMMARY_FIELDS <= summary.keys():
        raise TableError(f"{path}: no standard-body episodes (not a `hebbkit eval --json` report)")
    return summary


def find_suite(name: str, hebbian: Path, static: Path, given: Path | None) -> tuple[Path, dict]:
    """The suite report that ran both models: GIVEN, else the first of STATIC/NAME/suite.json and
    HEBBIAN/NAME/suite.json whose columns are these two models."""
    wanted = {"hebbian": str(hebbian / "model.npz"), "static": str(static / "model.npz")}
    candidates = [given] if given is not None else [static / name / "suite.json", hebbian / name / "suite.json"]
    found = []
    for path in candidates:
        if given is None and not path.exists():
            continue
        report = read_json(path)
        ran = {label: str(Path(artifact)) for label, artifact in report.get("artifacts", {}).items()}
        if {label: ran.get(label) for label in wanted} == wanted:
            return path, report
        found.append(f"{path} ran {ran or 'nothing'}")
    raise TableError(f"no {name} suite ran {wanted} ({'; '.join(found) or 'none found'}): run `hebbkit suite "
                     f"{wanted['hebbian']} --baseline {wanted['static']} ...`")


def distance(summary: dict) -> str:
    return f"{summary['distance_mean']:,.1f} +- {summary['distance_std']:,.1f}"


def median_cell(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


def conditions_apart_from_standard(report: dict) -> list[dict]:
    return [condition for condition in report["conditions"] if condition["name"] != "standard"]


def mean_distance(report: dict, label: str, names: list[str]) -> float:
    return float(np.mean([report["results"][label][name]["distance_mean"] for name in names]))


def lead(measure: str, hebbian: float, static: float) -> Row:
    """Hebbian's mean distance against static's; met when Hebbian's is larger."""
    return Row(measure, f"{hebbian:,.1f}", f"{static:,.1f}", "Hebbian > static", hebbian > static,
               f"{static - hebbian:,.1f} behind")


def lead_row(measure: str, report: dict, names: list[str]) -> Row:
    """`lead` over the mean distance of the conditions NAMES of a suite report."""
    return lead(measure, *(mean_distance(report, label, names) for label in ("hebbian", "static")))


def rows(hebbian: Path, static: Path, unseen_path: Path | None = None,
         sim2real_path: Path | None = None) -> tuple[list[Row], list[Path]]:
    """The table's rows and the files they came from."""
    standard = {"hebbian": standard_summary(hebbian), "static": standard_summary(static)}
    unseen_file, unseen = find_suite("unseen-bodies", hebbian, static, unseen_path)
    sim2real_file, sim2real = find_suite("suite", hebbian, static, sim2real_path)
    reached = standard["hebbian"]["distance_mean"]
    table = [Row(f"standard body, {len(standard['hebbian']['episodes'])} episodes", distance(standard["hebbian"]),
                 distance(standard["static"]), f">= {STANDARD_TARGET:,.0f}", reached >= STANDARD_TARGET,
                 f"{1 - reached / STANDARD_TARGET:.0%} short")]
    walk = {label: summary["walk_step_median"] for label, summary in standard.items()}
    table.append(Row("median steps to walk, standard body", median_cell(walk["hebbian"]), median_cell(walk["static"]),
                     f"<= {WALK_STEP_TARGET}", walk["hebbian"] is not None and walk["hebbian"] <= WALK_STEP_TARGET,
                     "never walked" if walk["hebbian"] is None else
                     f"{walk['hebbian'] - WALK_STEP_TARGET:.0f} steps over"))
    cruise = {label: summary.get("cruise_step_median") for label, summary in standard.items()}
    if None not in cruise.values():  # evaluations made before the cruise step was recorded have none: no row
        table.append(Row("median steps to cruise speed, standard body", median_cell(cruise["hebbian"]),
                         median_cell(cruise["static"]), "(no target)", True))
    bodies = conditions_apart_from_standard(unseen)
    target = unseen.get("target", RETAINED_TARGET)
    kept = {label: [unseen["results"][label][body["name"]]["retained"] for body in bodies]
            for label in ("hebbian", "static")}
    at_target = {label: sum(value is not None and value >= target for value in values)
                 for label, values in kept.items()}
    table.append(Row(f"unseen bodies keeping >= {target:.0%} of standard", f"{at_target['hebbian']}/{len(bodies)}",
                     f"{at_target['static']}/{len(bodies)}", "every body", at_target["hebbian"] == len(bodies),
                     f"{len(bodies) - at_target['hebbian']} bodies below"))
    names = [body["name"] for body in bodies]
    table.append(lead_row(f"unseen bodies, mean of {len(names)}", unseen, names))
    categories = category_means(unseen)  # the suite's own per-category figures, as its suite.md shows them
    for category, figures in categories["hebbian"].items():
        table.append(lead(f"unseen {category}, mean of {figures['bodies']}", figures["distance_mean"],
                          categories["static"][category]["distance_mean"]))
    perturbations = [condition["name"] for condition in conditions_apart_from_standard(sim2real)]
    table.append(lead_row(f"sim-to-real suite, mean of {len(perturbations)} conditions", sim2real, perturbations))
    return table, [hebbian / "eval_100_episodes.json", static / "eval_100_episodes.json", unseen_file,
                   sim2real_file]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("hebbian", type=Path, help="the Hebbian model's folder (e.g. models/ant-robust)")
    parser.add_argument("static", type=Path, help="the static baseline's folder (e.g. models/ant-static-robust)")
    parser.add_argument("--unseen", type=Path, help="the unseen-bodies suite.json that ran both (default: found)")
    parser.add_argument("--sim2real", type=Path, help="the sim2real suite.json that ran both (default: found)")
    args = parser.parse_args(argv)
    try:
        table, sources = rows(args.hebbian, args.static, args.unseen, args.sim2real)
    except TableError as error:
        print(f"like_for_like: error: {error}", file=sys.stderr)
        return 1
    print(f"| measure | {args.hebbian.name} (Hebbian) | {args.static.name} (static) | target | met |")
    print("|---|---|---|---|---|")
    for row in table:
        print(row.cells())
    print("\nfrom " + ", ".join(str(path) for path in sources))
    return 0


if __name__ == "__main__":
    sys.exit(main())
