"""One flag name per idea (issue 31): `--bodies` (a list of bodies) and `--body` (one), `--max-steps` (control steps
per episode), `--carracing-env` (which CarRacing); the old spellings still work, each with a one-line warning on
stderr that names the new flag, and the new names never warn."""

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
}
"""Every old spelling and its new name (old names of the commands' options are their `metadata["aliases"]`)."""

CASES = [  # (argv before the flag, old flag, value, option)
    (["eval", MODEL], "--morphologies", ["standard", "damaged_left_front"], "bodies"),
    (["train"], "--morphologies", ["standard"], "bodies"),
    (["record", MODEL], "--morphology", ["damaged_left_front"], "body"),
    (["demo"], "--steps", ["60"], "max_steps"),
    (["bench"], "--steps-per-episode", ["60"], "max_steps"),
    (["train"], "--carracing-backend", ["envpool"], "carracing_env"),
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
        if command.name == "ros-demo":
            continue  # see the next test
        names = {canonical(item.name) for item, _ in option_fields(command.config_type())}
        assert not names & set(RENAMED), f"hebbkit {command.name} still has {sorted(names & set(RENAMED))}"
        for item, _ in option_fields(command.config_type()):
            for alias in item.metadata.get("aliases", ()):
                aliases[canonical(alias)] = canonical(item.name)
    assert {old: new for old, new in aliases.items() if old in RENAMED} == RENAMED
    assert aliases.keys() - RENAMED.keys() == {"--steps"}  # demo's --steps (its episodes' --max-steps)


@pytest.mark.xfail(strict=True, reason="ros_ws (another owner): RosDemoConfig.morphology should become `body` with "
                                       "metadata aliases=('morphology',), as hebbkit record's")
def test_ros_demo_names_its_body_as_record_does():
    names = {item.name for item, _ in option_fields(COMMANDS["ros-demo"].config_type())}
    assert "body" in names and "morphology" not in names


def test_an_older_runs_config_json_reads_its_old_option_names():
    config = TrainConfig.from_json({"env": "carracing", "morphologies": ["standard"], "carracing_backend": "envpool",
                                    "burn_in": 0})
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
