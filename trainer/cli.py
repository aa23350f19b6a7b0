"""The `hebbkit` command: one subcommand per job, each configured by one frozen dataclass.

Subcommand modules are imported only when their command runs (the parser imports just the config classes), so
`hebbkit inspect` works on a robot that has the runtime alone.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from hebbkit.runtime.cli import add_config_arguments, config_from_args

# name: (module, config class, run function, one-line help)
COMMANDS = {
    "demo": ("hebbkit.trainer.demo", "DemoConfig", "run_demo", "run the demo (what `make demo` runs)"),
    "new": ("hebbkit.runtime.cli", "NewConfig", "run_new", "write a freshly initialised (untrained) rule"),
    "inspect": ("hebbkit.runtime.cli", "InspectConfig", "run_inspect", "print and validate a policy artifact"),
    "export": ("hebbkit.runtime.cli", "ExportConfig", "run_export", "export the ONNX twin of a control step"),
    "bench": ("hebbkit.runtime.bench", "BenchConfig", "run_bench", "time a control step on every backend"),
    "train": ("hebbkit.trainer.run", "TrainConfig", "run_train", "evolve Hebbian rules with ES (local or Ray)"),
    "eval": ("hebbkit.trainer.evaluate", "EvalConfig", "run_eval", "evaluate an artifact from random weights"),
    "plot": ("hebbkit.trainer.evaluate", "PlotConfig", "run_plot", "draw a run's training curve"),
    "validate": ("hebbkit.trainer.study", "ValidateConfig", "run_validate",
                 "score a run's snapshots on bodies and seeds its training never used"),
    "study": ("hebbkit.trainer.study", "StudyConfig", "run_study",
              "compare runs at an equal env-step budget: overlaid curves and a table"),
    "ros-demo": ("hebbkit.trainer.ros_demo", "RosDemoConfig", "run_ros_demo", "the ROS 2 nodes without ros2 launch"),
    "bridge": ("hebbkit.firmware_bridge.cli", "BridgeConfig", "run_bridge", "ping or monitor the robot's firmware"),
}
# commands whose flags override a preset: unset flags stay unset instead of taking the dataclass default
_PRESET_COMMANDS = {"train": "train_config_from_cli"}
_RUNNERS = {"run_bench": "hebbkit.runtime.cli"}


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, one subparser per command."""
    parser = argparse.ArgumentParser(
        prog="hebbkit",
        description="Evolved Hebbian plasticity rules for robot controllers that keep learning. "
        "Every episode starts from random weights; the rules reshape them at every control step.",
        epilog="Run `hebbkit COMMAND --help` for a command's options.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, config_name, _, summary) in COMMANDS.items():
        config_type = getattr(importlib.import_module(module), config_name)
        sub = commands.add_parser(name, help=summary, description=(config_type.__doc__ or summary).strip())
        add_config_arguments(sub, config_type, suppress_defaults=name in _PRESET_COMMANDS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `hebbkit` console script."""
    from hebbkit.runtime.errors import HebbkitError

    parser = build_parser()
    arguments = parser.parse_args(argv)
    module, config_name, run_name, _ = COMMANDS[arguments.command]
    config_type = getattr(importlib.import_module(module), config_name)
    try:
        if arguments.command in _PRESET_COMMANDS:
            config = getattr(importlib.import_module(module), _PRESET_COMMANDS[arguments.command])(arguments)
        else:
            config = config_from_args(config_type, arguments)
        run = getattr(importlib.import_module(_RUNNERS.get(run_name, module)), run_name)
        return int(run(config) or 0)
    except HebbkitError as error:
        print(f"hebbkit {arguments.command}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"hebbkit {arguments.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
