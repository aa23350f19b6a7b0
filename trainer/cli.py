"""The `hebbkit` command: one subcommand per job, each configured by one frozen dataclass.

Every subcommand is one `Command` record: the module that holds its config dataclass and its run function. Modules
are imported only when the parser is built or the command runs, and the modules named here import only light
things at the top (their config classes), so `hebbkit inspect` works on a robot that has the runtime alone.

A run function returns the exit code. Anything that goes wrong on purpose is a `HebbkitError`: it ends as one line
`hebbkit COMMAND: error: ...` on stderr and exit code 1 (`error_exit`); so does an optional package that is not
installed, naming the extra that adds it (`EXTRA_OF_MODULE`); Ctrl-C ends with exit code 130; argparse's own usage
errors exit with 2; output piped into a command that stops reading early (`hebbkit inspect M | head -1`) ends quietly
with exit code 141, as a shell reports a command ended by SIGPIPE (`broken_pipe_exit`).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hebbkit.runtime.cli import add_config_arguments, config_from_args
from hebbkit.runtime.errors import DependencyError, HebbkitError, HebbkitWarning

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for `cat big | head -1`'s cat

EXTRA_OF_MODULE = {
    **dict.fromkeys(("torch", "pybullet", "pybullet_data", "gymnasium", "matplotlib", "PIL", "Box2D", "pygame",
                     "envpool", "tqdm", "tensorboard"), "train"),
    **dict.fromkeys(("onnx", "onnxruntime"), "onnx"),
    "ray": "ray",
    "serial": "serial",
    **dict.fromkeys(("rclpy", "std_msgs", "sensor_msgs", "std_srvs", "diagnostic_msgs", "lifecycle_msgs",
                     "trajectory_msgs", "rosgraph_msgs", "ament_index_python"), "ros"),
}
"""The pip extra (pyproject.toml) that installs each optional top-level module a command may import."""


@dataclass(frozen=True)
class Command:
    """One `hebbkit` subcommand. `config`, `run` and `from_cli` are names in `module`."""

    name: str
    module: str  # imported when the parser is built: keep its top-level imports light
    config: str  # the frozen config dataclass: one option per field (see hebbkit.runtime.cli)
    run: str  # run(config) -> exit code
    help: str  # one line, for `hebbkit --help`
    examples: tuple[str, ...] = ()  # "COMMAND LINE  # what it does", from docs/cli.md: the end of `--help`
    from_cli: str | None = None  # from_cli(namespace) -> config, for commands whose unset flags must stay unset
    # (a preset supplies them); otherwise every flag has its default and `config_from_args` builds the config

    def attribute(self, name: str) -> Any:
        return getattr(importlib.import_module(self.module), name)

    def config_type(self) -> type:
        return self.attribute(self.config)

    def parse(self, arguments: argparse.Namespace) -> Any:
        """The command's config from the parsed flags."""
        if self.from_cli is not None:
            return self.attribute(self.from_cli)(arguments)
        return config_from_args(self.config_type(), arguments)

    def runner(self) -> Callable[[Any], int | None]:
        return self.attribute(self.run)


COMMANDS: dict[str, Command] = {command.name: command for command in (
    Command("demo", "hebbkit.trainer.demo", "DemoConfig", "run_demo", "run the demo (what `make demo` runs)",
            examples=("hebbkit demo  # what `make demo` runs",)),
    Command("new", "hebbkit.runtime.cli", "NewConfig", "run_new", "write a freshly initialised (untrained) rule",
            examples=("hebbkit new OUT.npz [--rule ABCD_lr] [--profile ant28]  # an untrained rule",)),
    Command("inspect", "hebbkit.runtime.cli", "InspectConfig", "run_inspect", "print and validate a policy artifact",
            examples=("hebbkit inspect ARTIFACT [--json]  # metadata, sizes, checksum, validation result",)),
    Command("export", "hebbkit.runtime.cli", "ExportConfig", "run_export",
            "export the ONNX twin of a control step (--onnx) or C99 source for a firmware (--c)",
            examples=("hebbkit export ARTIFACT --onnx OUT.onnx [--c DIR]  # checked ONNX graph; C99 for a firmware",)),
    Command("bench", "hebbkit.runtime.bench", "BenchConfig", "run_bench", "time a control step on every backend",
            examples=("hebbkit bench [--json]  # control-step latency per backend vs a naive baseline",)),
    Command("train", "hebbkit.trainer.run", "TrainConfig", "run_train", "evolve Hebbian rules with ES (local or Ray)",
            examples=("hebbkit train --config ant-paper [--executor ray]  # evolve rules; --resume RUN_DIR continues",),
            from_cli="train_config_from_cli"),
    Command("eval", "hebbkit.trainer.evaluate", "EvalConfig", "run_eval",
            "evaluate an artifact from random weights",
            examples=("hebbkit eval ARTIFACT  # distance, steps-to-walk from fresh random weights",
                      "hebbkit eval ARTIFACT --bodies unseen  # the bodies it never saw")),
    Command("suite", "hebbkit.trainer.evaluate", "SuiteConfig", "run_suite_command",
            "run an evaluation suite (sim2real, unseen-bodies): a table, JSON and plots",
            examples=("hebbkit suite ARTIFACT [--suite sim2real] [--baseline B]  # the adaptation suite",
                      "hebbkit suite ARTIFACT --suite unseen-bodies  # share of the standard distance kept")),
    Command("plot", "hebbkit.trainer.evaluate", "PlotConfig", "run_plot", "draw a run's training curve",
            examples=("hebbkit plot RUN_DIR [RUN_DIR ...] [--x env-steps]  # training curve(s)",)),
    Command("record", "hebbkit.trainer.record", "RecordConfig", "run_record",
            "a GIF of one episode from random weights (any robot, or CarRacing)",
            examples=("hebbkit record ARTIFACT [--body B] [--seed S]  # GIF of one episode from random weights",)),
    Command("validate", "hebbkit.trainer.study", "ValidateConfig", "run_validate",
            "score a run's snapshots on bodies and seeds its training never used",
            examples=("hebbkit validate RUN_DIR  # held-out validation curves",)),
    Command("study", "hebbkit.trainer.study", "StudyConfig", "run_study",
            "compare runs at an equal env-step budget: overlaid curves and a table",
            examples=("hebbkit study RUN_DIR ...  # runs compared at equal budget",)),
    Command("robot", "hebbkit.trainer.robot_check", "RobotConfig", "run_robot",
            "check a robot description file: loads, stands and prints joints, limits, mass, standing height",
            examples=("hebbkit robot check ROBOT.toml  # a robot description file: loads, stands, prints",)),
    Command("ros-demo", "hebb_runtime.ros_demo", "RosDemoConfig", "run_ros_demo",
            "the ROS 2 nodes without ros2 launch",
            examples=("hebbkit ros-demo  # the ROS 2 nodes over DDS, without ros2 launch",)),
    Command("bridge", "hebbkit.firmware_bridge.cli", "BridgeConfig", "run_bridge",
            "ping or monitor the robot's firmware",
            examples=("hebbkit bridge ping|monitor|stats --port URL  # the robot's microcontroller",)),
)}


EXAMPLES_HEADING = "examples:"


class HelpFormatter(argparse.HelpFormatter):
    """argparse's help formatter, except that the examples paragraph that ends a command's `--help` (`examples_epilog`)
    is kept line by line as written instead of being refilled."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n\n".join("\n".join(indent + line for line in paragraph.splitlines())
                           if paragraph.startswith(EXAMPLES_HEADING)
                           else super(HelpFormatter, self)._fill_text(paragraph, width, indent)
                           for paragraph in text.split("\n\n"))


def examples_epilog(examples: tuple[str, ...]) -> str | None:
    """The end of a command's `--help`: its example invocations, one per indented line."""
    if not examples:
        return None
    return EXAMPLES_HEADING + "".join(f"\n  {example}" for example in examples)


def version_text() -> str:
    """`hebbkit --version`: the installed package's version, and the git commit when it runs from a checkout (what
    artifact provenance records, "+dirty" if modified)."""
    from importlib.metadata import PackageNotFoundError, version
    from pathlib import Path

    try:
        number = version("hebbkit")
    except PackageNotFoundError:
        number = "unknown (not installed)"
    commit = None
    if (Path(__file__).resolve().parents[1] / "pyproject.toml").is_file():  # a source checkout, not site-packages
        from hebbkit.runtime.artifact import current_git_commit

        commit = current_git_commit()
    return f"hebbkit {number}" + (f" (git {commit})" if commit else "")


class VersionAction(argparse.Action):
    """`--version`: print `version_text()` and exit 0 (computed only when asked: it may run git)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        print(version_text())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, one subparser per command."""
    parser = argparse.ArgumentParser(
        prog="hebbkit",
        description="Evolved Hebbian plasticity rules for robot controllers that keep learning. "
        "Every episode starts from random weights; the rules reshape them at every control step.",
        epilog="Run `hebbkit COMMAND --help` for a command's options.",
    )
    parser.add_argument("--version", action=VersionAction,
                        help="print the version (and the git commit of a checkout) and exit")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS.values():
        config_type = command.config_type()
        sub = subcommands.add_parser(command.name, help=command.help,
                                     description=(config_type.__doc__ or command.help).strip(),
                                     epilog=examples_epilog(command.examples), formatter_class=HelpFormatter)
        add_config_arguments(sub, config_type, suppress_defaults=command.from_cli is not None)
    return parser


def missing_extra(error: ModuleNotFoundError) -> DependencyError | None:
    """The one-line `DependencyError` for an optional module that is not installed (None for any other module,
    whose absence is a broken installation, not a missing extra)."""
    module = (error.name or "").split(".")[0]
    extra = EXTRA_OF_MODULE.get(module)
    if extra is None:
        return None
    return DependencyError(f"this command needs {module}, which is not installed: pip install 'hebbkit[{extra}]'")


def error_exit(command: str, error: HebbkitError) -> int:
    """Report `error` as one line on stderr; the exit code."""
    message = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    print(f"hebbkit {command}: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def one_line_warnings(command: str, show: Callable[..., None]) -> Callable[..., None]:
    """A `warnings.showwarning` that prints hebbkit's own warnings as one line `hebbkit COMMAND: warning: ...` on
    stderr and leaves any other warning to `show`."""

    def show_warning(message: Warning | str, category: type[Warning], *details: Any, **options: Any) -> None:
        if issubclass(category, HebbkitWarning):
            print(f"hebbkit {command}: warning: {message}", file=sys.stderr)
        else:
            show(message, category, *details, **options)

    return show_warning


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `hebbkit` console script."""
    try:
        try:
            return run_command(argv)
        finally:
            sys.stdout.flush()  # now, where a reader that went away is caught, not at exit
    except BrokenPipeError:
        return broken_pipe_exit()


def run_command(argv: Sequence[str] | None) -> int:
    """Parse `argv` and run its command; the exit code (see the module docstring)."""
    arguments = build_parser().parse_args(argv)
    command = COMMANDS[arguments.command]
    try:
        with warnings.catch_warnings():
            warnings.showwarning = one_line_warnings(command.name, warnings.showwarning)
            return int(command.runner()(command.parse(arguments)) or 0)
    except HebbkitError as error:
        return error_exit(command.name, error)
    except ModuleNotFoundError as error:
        dependency = missing_extra(error)
        if dependency is None:
            raise
        return error_exit(command.name, dependency)
    except KeyboardInterrupt:
        print(f"hebbkit {command.name}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def broken_pipe_exit() -> int:
    """End quietly after the reader of stdout went away (`hebbkit inspect M | head -1`): what is left unwritten is
    dropped (stdout now points at /dev/null, so Python's flush at exit cannot fail again); exit code 141."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)
    return EXIT_BROKEN_PIPE


if __name__ == "__main__":
    sys.exit(main())
