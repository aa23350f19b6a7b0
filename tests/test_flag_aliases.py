"""One flag name per idea (issue 31): `--bodies` (a list of bodies) and `--body` (one), `--max-steps` (control steps
per episode), `--carracing-env` (which CarRacing), `--backend` (the runtime backend; train's local/ray is
`--executor`); the old spellings still work, each with a one-line warning on stderr that names the new flag, and
the new names never warn."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hebbkit.runtime.cli import option_fields
from hebbkit.trainer.cli import COMMANDS, build_parser
from hebbkit.trainer.train_config import TrainConfig

MODEL = str(Path(__file__).resolve().parents[1] / "models" / "ant-paper" / "model.npz")

RENAMED = {  # old flag -> new flag, as `hebbkit COMMAND` reads them
    "--morphologies": "--bodies",
    "--morphology": "--body",
    "--steps-per-episode": "--max-steps",
    "--carracing-backend": "--carracing-env",
    "--policy-backend": "--backend",
}
"""Every old spelling and its new name (old names of the commands' options are their `metadata["aliases"]`)."""

CASES = [  # (argv before the flag, old flag, value, option)
    (["eval", MODEL], "--morphologies", ["standard", "damaged_left_front"], "bodies"),
    (["train"], "--morphologies", ["standard"], "bodies"),
    (["record", MODEL], "--morphology", ["damaged_left_front"], "body"),
    (["demo"], "--steps", ["60"], "max_steps"),
    (["bench"], "--steps-per-episode", ["60"], "max_steps"),
    (["train"], "--carracing-backend", ["envpool"], "carracing_env"),
    (["train"], "--policy-backend", ["numpy"], "backend"),
]


def canonical(option: str) -> str:
    return "--" + option.replace("_", "-")


@pytest.mark.parametrize(("prefix", "old", "values", "option"), CASES)
def test_an_old_flag_still_works_and_warns_once_naming_the_new_one(prefix, old, values, option, capsys):
    arguments = build_parser().parse_args([*prefix, old, *values])
    assert getattr(arguments, option) in (values, values[0], int(values[0]) if values[0].isdigit() else None)
    warning = capsys.readouterr().err.strip().splitlines()
    assert warning == [f"hebbkit {prefix[0]}: warning: {old} is deprecated, use {canonical(option)}"]


@pytest.mark.parametrize(("prefix", "old", "values", "option"), CASES)
def test_the_new_flag_does_not_warn_and_means_the_same(prefix, old, values, option, capsys):
    new = build_parser().parse_args([*prefix, canonical(option), *values])
    old_arguments = build_parser().parse_args([*prefix, old, *values])
    assert getattr(new, option) == getattr(old_arguments, option)
    capsys.readouterr()
    build_parser().parse_args([*prefix, canonical(option), *values])
    assert capsys.readouterr().err == ""


def test_every_alias_is_listed_and_no_command_spells_an_idea_the_old_way():
    aliases = {}
    for command in COMMANDS.values():
        names = {canonical(item.name) for item, _ in option_fields(command.config_type())}
        assert not names & set(RENAMED), f"hebbkit {command.name} still has {sorted(names & set(RENAMED))}"
        for item, _ in option_fields(command.config_type()):
            for alias in item.metadata.get("aliases", ()):
                aliases[canonical(alias)] = canonical(item.name)
    assert {old: new for old, new in aliases.items() if old in RENAMED} == RENAMED
    assert aliases.keys() - RENAMED.keys() == {"--steps"}  # demo's --steps (its episodes' --max-steps)


def test_ros_demo_names_its_body_as_record_does(capsys):
    names = {item.name for item, _ in option_fields(COMMANDS["ros-demo"].config_type())}
    assert "body" in names and "morphology" not in names
    arguments = build_parser().parse_args(["ros-demo", "--morphology", "damaged_left_front"])
    assert arguments.body == "damaged_left_front"
    assert capsys.readouterr().err.strip() == "hebbkit ros-demo: warning: --morphology is deprecated, use --body"


def test_the_launch_reads_body_and_its_old_name_morphology_with_a_warning(capsys):
    from hebb_runtime.launch_plan import launch_body

    assert launch_body({"body": "damaged_left_front", "morphology": ""}) == "damaged_left_front"
    assert capsys.readouterr().err == ""
    assert launch_body({"body": "standard", "morphology": "damaged_right_front"}) == "damaged_right_front"
    assert "ant.launch.py: warning: morphology is deprecated, use body" in capsys.readouterr().err


def test_train_names_its_runtime_backend_as_eval_does_and_where_it_runs_executor(capsys):
    arguments = build_parser().parse_args(["train", "--backend", "onnx", "--executor", "ray"])
    assert (arguments.backend, arguments.executor) == ("onnx", "ray") and capsys.readouterr().err == ""


def test_train_backend_local_or_ray_still_means_the_executor_with_a_warning(capsys):
    from hebbkit.trainer.run import train_config_from_cli

    config = train_config_from_cli(build_parser().parse_args(["train", "--config", "smoke", "--backend", "ray"]))
    assert (config.executor, config.backend) == ("ray", "auto")
    assert capsys.readouterr().err.strip() == (
        "hebbkit train: warning: --backend ray is deprecated, use --executor ray (--backend now names the runtime "
        "backend, as in hebbkit eval)")


def test_an_older_runs_config_json_reads_its_old_option_names():
    config = TrainConfig.from_json({"env": "carracing", "morphologies": ["standard"], "carracing_backend": "envpool",
                                    "burn_in": 0, "backend": "local", "policy_backend": "c"})
    assert (config.executor, config.backend) == ("local", "c")
    assert config.task.bodies == ("standard",) and config.carracing_env == "envpool"
    assert "morphologies" not in config.to_json() and config.to_json()["bodies"] == ["standard"]


def test_help_hides_the_old_flag_and_names_it_beside_the_new_one():
    result = subprocess.run([sys.executable, "-m", "hebbkit.trainer.cli", "eval", "--help"], capture_output=True,
                            text=True, check=True)
    assert "--bodies" in result.stdout and "(formerly --morphologies)" in result.stdout
    assert "--morphologies BODIES" not in result.stdout and "--morphologies MORPH" not in result.stdout


def test_a_real_command_with_an_old_flag_runs_and_warns_in_one_line():
    common = ["bench", "--episodes", "1", "--warmup-steps", "0", "--backends", "numpy", "--json"]
    old = subprocess.run([sys.executable, "-m", "hebbkit.trainer.cli", *common, "--steps-per-episode", "20"],
                         capture_output=True, text=True)
    new = subprocess.run([sys.executable, "-m", "hebbkit.trainer.cli", *common, "--max-steps", "20"],
                         capture_output=True, text=True)
    assert old.returncode == new.returncode == 0, old.stderr + new.stderr
    assert old.stderr.strip() == "hebbkit bench: warning: --steps-per-episode is deprecated, use --max-steps"
    assert "deprecated" not in new.stderr
