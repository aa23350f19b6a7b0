"""The sim-to-real adaptation suite: a matrix of conditions a real robot meets, N fresh-random-weight episodes each.

    hebbkit suite models/ant-paper/model.npz --suite sim2real --baseline models/ant-static/model.npz --output out/
    hebbkit suite models/ant-paper/model.npz --suite unseen-bodies --output out-bodies/

`sim2real`: the reality gap (damaged bodies, actuators, friction, mass, noise, latency, a leg breaking mid-episode).
`unseen-bodies`: the standard body and every body of `UNSEEN_CATEGORIES` ("the bodies it never saw": lower legs,
upper legs, uniform scalings, several legs, actuators; rows named by `BODY_LABELS`, the body's spec and category in
the JSON's conditions), so the table gives each one's distance, speed and the share of the standard distance it
keeps, and a second table each category's means.

writes `out/suite.md` (table: distance, mean forward speed over the whole episode in m/s and body lengths per
second, and the share of the standard condition's distance each condition keeps), `out/suite.json` (every
episode), `out/distance_per_condition.png` (Hebbian vs static per condition) and `out/damage_recovery.png`
(distance over time around the leg breaking at step 500, with the recovery time: steps after the break until
the speed over a 50-step window is back to 70% of its speed over the 100 steps before the break).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .envs.body_sets import BODY_LABELS, UNSEEN_CATEGORIES
from .envs.morphology import resolve_morphology
from .evaluate import plural

BREAK_STEP = 500
RECOVERY_WINDOW = 50
RECOVERY_FRACTION = 0.7
WALKS_M_PER_S = 0.05  # below this mean speed on the standard body a model does not walk: no "kept" share
RETAINED_TARGET = 0.7  # a deployable model keeps >= 70% of its standard speed under every single perturbation


@dataclass(frozen=True)
class Condition:
    """One row of the suite: a morphology and perturbations (keyword arguments of `Perturbations`); `category`
    groups rows for the per-category table ("": none)."""

    name: str
    morphology: str = "standard"
    perturbations: dict = field(default_factory=dict)
    description: str = ""
    category: str = ""


SIM2REAL = (
    Condition("standard", description="the nominal body"),
    Condition("damaged_right_front", "damaged_right_front", description="seen in training (paper)"),
    Condition("damaged_left_front", "damaged_left_front", description="held out from training (paper)"),
    Condition("actuators_x0.7", perturbations={"actuator_strength": 0.7}, description="actuator torque x 0.7"),
    Condition("actuators_x1.3", perturbations={"actuator_strength": 1.3}, description="actuator torque x 1.3"),
    Condition("friction_x0.5", perturbations={"ground_friction": 0.5}, description="ground friction x 0.5"),
    Condition("friction_x1.5", perturbations={"ground_friction": 1.5}, description="ground friction x 1.5"),
    Condition("torso_mass_+30%", perturbations={"torso_mass": 1.3}, description="torso mass x 1.3"),
    Condition("obs_noise_0.05", perturbations={"observation_noise": 0.05},
              description="Gaussian observation noise, std 0.05"),
    Condition("latency_1", perturbations={"action_latency": 1}, description="actions 1 control step late"),
    Condition("latency_2", perturbations={"action_latency": 2}, description="actions 2 control steps late"),
    Condition("leg_breaks_at_500", perturbations={"events": ({"step": BREAK_STEP, "kind": "break_segment",
                                                              "leg": "front_left", "segment": "lower",
                                                              "scale": 0.25},)},
              description="front-left lower leg shortened to 25% at step 500"),
)
UNSEEN_BODIES_SUITE = (
    Condition("standard", description="the nominal body"),
    *(Condition(BODY_LABELS[body], body, category=category,
                description=f"{resolve_morphology(body).spec}: never in training"
                + (" (except the paper's protocol, which trains on it)" if body == "damaged_right_front" else ""))
      for category, bodies in UNSEEN_CATEGORIES.items() for body in bodies),
)
SUITES = {"sim2real": SIM2REAL, "unseen-bodies": UNSEEN_BODIES_SUITE}
SUITE_TITLES = {"sim2real": "Sim-to-real suite", "unseen-bodies": "Bodies it never saw"}
SUITE_TARGETS = {"sim2real": RETAINED_TARGET, "unseen-bodies": 0.6}  # issue 12: >= 60% of standard on unseen bodies


WALKING_SHARE_OF_STANDARD = 0.5
"""An episode counts as walking in a condition when it covers at least this share of the standard condition's mean
distance."""


def run_suite(artifacts: dict[str, Path], conditions=SIM2REAL, episodes: int = 10, seed: int = 0,
              max_steps: int = 1000, burn_in: int = 40, workers: int | None = None, progress: bool = True,
              title: str = "Sim-to-real suite", target: float = RETAINED_TARGET, robot: str = "") -> dict:
    """Every artifact x condition x episode; episode i uses seed + i (the same seeds for every artifact). `title`
    heads the table of `write_outputs`."""
    from .episodes import EpisodeTask, run_episodes, summarise

    tasks = [EpisodeTask(str(path), condition.morphology, seed + index, max_steps, burn_in,
                         perturbations=condition.perturbations, record_curve=condition.name.startswith("leg_breaks"),
                         robot=robot)
             for path in artifacts.values() for condition in conditions for index in range(episodes)]
    outcomes = run_episodes(tasks, workers, progress=progress, description=title)
    report: dict = {"title": title, "target": target, "episodes": episodes, "seed": seed, "max_steps": max_steps,
                    "burn_in": burn_in,
                    "break_step": BREAK_STEP, "artifacts": {label: str(path) for label, path in artifacts.items()},
                    "body_lengths_m": {label: body_length(path, robot) for label, path in artifacts.items()},
                    "conditions": [asdict(c) for c in conditions], "results": {}}
    position = 0
    for label in artifacts:
        report["results"][label] = {}
        for condition in conditions:
            chunk = outcomes[position:position + episodes]
            position += episodes
            distances = np.array([o["distance"] for o in chunk])
            overview = summarise(chunk)
            summary = {"distance_mean": overview["distance_mean"], "distance_std": overview["distance_std"],
                       "distances": [round(float(d), 3) for d in distances],
                       "walk_step_median": overview["walk_step_median"],
                       **speed_summary(distances, max_steps - burn_in, report["body_lengths_m"][label])}
            if condition.name.startswith("leg_breaks"):
                curves = np.array([np.pad(o["curve"], (0, max_steps - burn_in - len(o["curve"])), mode="edge")
                                   for o in chunk])
                summary["mean_curve"] = [round(float(v), 3) for v in curves.mean(axis=0)]
                summary["recovery_steps"] = recovery_steps(curves.mean(axis=0), BREAK_STEP - burn_in)
            report["results"][label][condition.name] = summary
    return add_retained(report)


def add_retained(report: dict) -> dict:
    """Each condition's share of the standard condition's distance ("kept") and the share of its episodes that
    covered at least half the standard condition's mean distance ("walking": a model that walks or stands loses
    distance by standing more often, one that walks slower by walking slower), for every artifact that walks on the
    standard body (mean speed >= WALKS_M_PER_S); None otherwise, where a share would mean nothing."""
    for results in report["results"].values():
        nominal = results.get("standard", {})
        walks = nominal.get("speed_m_per_s", 0.0) >= WALKS_M_PER_S
        for summary in results.values():
            summary["retained"] = summary["distance_mean"] / nominal["distance_mean"] if walks else None
            distances = summary.get("distances")
            summary["walking_share"] = (float(np.mean(np.asarray(distances) >= WALKING_SHARE_OF_STANDARD
                                                      * nominal["distance_mean"]))
                                        if walks and distances else None)
    return report


def speed_summary(distances: np.ndarray, policy_steps: int, length: float) -> dict:
    """Mean forward speed over the whole episode after burn-in. The progress term is displacement / dt per step,
    so the summed progress over N steps divided by N is metres per second (a fall ends the episode: the robot
    is charged the full duration)."""
    speed = float(np.mean(distances)) / policy_steps
    return {"speed_m_per_s": speed, "speed_body_lengths_per_s": speed / length if length > 0 else None}


def body_length(path: Path, robot: str = "") -> float:
    """Torso length of the artifact's robot (0.0: not defined, e.g. the Ant or CarRacing); `robot`: its robot file
    when it is not built in."""
    from hebbkit.runtime import load_artifact

    from .envs.bodies import resolve_body
    from .episodes import protocol_for

    protocol = protocol_for(load_artifact(path), ("standard",), 1, 0, early_stop=False, robot=robot or None)
    return 0.0 if protocol.env == "carracing" else resolve_body(protocol.robot).length


def recovery_steps(curve: np.ndarray, break_index: int) -> int | None:
    """Steps after the break until the 50-step speed is back to 70% of the 100 steps before it (None: never)."""
    curve = np.asarray(curve)
    if break_index < 100 or break_index + RECOVERY_WINDOW >= len(curve):
        return None
    before = (curve[break_index] - curve[break_index - 100]) / 100
    if before <= 0:
        return None
    for offset in range(0, len(curve) - break_index - RECOVERY_WINDOW):
        start = break_index + offset
        speed = (curve[start + RECOVERY_WINDOW] - curve[start]) / RECOVERY_WINDOW
        if speed >= RECOVERY_FRACTION * before:
            return offset
    return None


def category_means(report: dict) -> dict[str, dict[str, dict]]:
    """label -> category -> {bodies, distance_mean (mean over the category's rows), kept_mean, kept_min,
    kept_at_target (rows keeping >= the report's target)}; kept values are None where the model does not walk on
    the standard body. Empty for a report whose conditions have no categories."""
    target = report.get("target", RETAINED_TARGET)
    categories: dict[str, list[str]] = {}
    for condition in report["conditions"]:
        if condition.get("category"):
            categories.setdefault(condition["category"], []).append(condition["name"])
    means: dict[str, dict[str, dict]] = {}
    for label, results in report["results"].items():
        means[label] = {}
        for category, names in categories.items():
            kept = [results[name]["retained"] for name in names]
            walks = all(value is not None for value in kept)
            means[label][category] = {
                "bodies": len(names),
                "distance_mean": float(np.mean([results[name]["distance_mean"] for name in names])),
                "kept_mean": float(np.mean(kept)) if walks else None,
                "kept_min": float(min(kept)) if walks else None,
                "kept_at_target": sum(value >= target for value in kept) if walks else None}
    return means


def category_table(report: dict, target: float) -> list[str]:
    """Markdown lines of the per-category table (none for a report without categories)."""
    means = category_means(report)
    if not any(means.values()):
        return []
    labels = list(means)
    lines = ["", f"Per category (mean over its bodies; worst = the body that keeps least; at target = bodies keeping "
             f">= {target:.0%}):", "",
             "| category | bodies | " + " | ".join(f"{label} distance | kept (mean, worst) | at target"
                                                    for label in labels) + " |",
             "|---|---|" + "---|---|---|" * len(labels)]
    for category in means[labels[0]]:
        cells = []
        for label in labels:
            row = means[label][category]
            kept = "n/a" if row["kept_mean"] is None else f"{row['kept_mean']:.0%}, {row['kept_min']:.0%}"
            at_target = "n/a" if row["kept_at_target"] is None else f"{row['kept_at_target']}/{row['bodies']}"
            cells.append(f"{row['distance_mean']:.1f} | {kept} | {at_target}")
        lines.append(f"| {category} | {means[labels[0]][category]['bodies']} | " + " | ".join(cells) + " |")
    return lines


def write_outputs(report: dict, folder: Path) -> list[Path]:
    """suite.json, suite.md and the two plots."""
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "suite.json", folder / "suite.md"]
    written[0].write_text(json.dumps(report, indent=1) + "\n")
    labels = list(report["results"])
    conditions = [c["name"] for c in report["conditions"]]
    title = report.get("title", "Sim-to-real suite")
    target = report.get("target", RETAINED_TARGET)
    lines = [f"{title}: {plural(report['episodes'], 'episode')} per condition, fresh random weights each (seeds "
             f"{report['seed']}..{report['seed'] + report['episodes'] - 1}), {report['max_steps']} steps incl. "
             f"{report['burn_in']} burn-in. Distance = summed progress; speed = mean forward speed over the "
             "episode after burn-in; walking = share of the episodes that covered at least half the standard "
             "condition's mean distance (it tells standing more often from walking slower); kept = share of the "
             "standard condition's distance (n/a: the model does not walk on the standard body; target for a "
             f"deployable model: >= {target:.0%}).", "",
             "| condition | " + " | ".join(f"{label} distance | speed | walking | kept" for label in labels) + " |",
             "|---|" + "---|---|---|---|" * len(labels)]
    for name in conditions:
        cells = []
        for label in labels:
            summary = report["results"][label][name]
            cell = f"{summary['distance_mean']:.1f} +- {summary['distance_std']:.1f}"
            if "recovery_steps" in summary:
                recovery = summary["recovery_steps"]
                cell += f" (recovers in {recovery} steps)" if recovery is not None else " (no recovery)"
            speed = f"{summary['speed_m_per_s']:.3f} m/s"
            if summary.get("speed_body_lengths_per_s") is not None:
                speed += f" ({summary['speed_body_lengths_per_s']:.2f} BL/s)"
            retained = summary.get("retained")
            kept = "n/a" if retained is None else f"{retained:.0%}" + (
                " (below target)" if retained < target else "")
            walking = summary.get("walking_share")  # absent from reports written before it was recorded
            cells.append(f"{cell} | {speed} | {'n/a' if walking is None else f'{walking:.0%}'} | {kept}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += category_table(report, target)
    written[1].write_text("\n".join(lines) + "\n")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return written
    figure, axis = plt.subplots(figsize=(11, 4.5))
    width = 0.8 / len(labels)
    for offset, label in enumerate(labels):
        means = [report["results"][label][n]["distance_mean"] for n in conditions]
        stds = [report["results"][label][n]["distance_std"] for n in conditions]
        axis.bar(np.arange(len(conditions)) + offset * width, means, width, yerr=stds, label=label, capsize=2)
    axis.set_xticks(np.arange(len(conditions)) + width * (len(labels) - 1) / 2, conditions, rotation=35, ha="right")
    axis.set(ylabel="distance (summed progress)", title="distance per condition")
    axis.legend()
    figure.tight_layout()
    figure.savefig(folder / "distance_per_condition.png", dpi=110)
    plt.close(figure)
    written.append(folder / "distance_per_condition.png")
    breaking = [n for n in conditions if n.startswith("leg_breaks")]
    if breaking:
        figure, axis = plt.subplots(figsize=(8, 4.5))
        for label in labels:
            summary = report["results"][label][breaking[0]]
            steps = np.arange(1, len(summary["mean_curve"]) + 1) + report["burn_in"]
            recovery = summary.get("recovery_steps")
            outcome = f"recovers in {recovery} steps" if recovery is not None else "no recovery"
            axis.plot(steps, summary["mean_curve"], label=f"{label} ({outcome})")
        axis.axvline(report["break_step"], color="red", linestyle="--", label="leg breaks")
        axis.set(xlabel="control step", ylabel="distance so far", title="distance over time, leg breaking at step 500")
        axis.legend()
        figure.tight_layout()
        figure.savefig(folder / "damage_recovery.png", dpi=110)
        plt.close(figure)
        written.append(folder / "damage_recovery.png")
    return written
