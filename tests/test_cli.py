"""The `hebbkit` command: help everywhere, and new -> inspect -> export -> bench end to end."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hebbkit.trainer.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "ant-paper" / "model.npz"
CAR = ROOT / "models" / "carracing-paper" / "model.npz"


def run_cli(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hebbkit.trainer.cli", *arguments], capture_output=True, text=True)


def test_top_level_help_lists_every_command():
    result = run_cli("--help")
    assert result.returncode == 0
    for name in COMMANDS:
        assert name in result.stdout


def test_every_command_is_one_record_whose_config_and_run_exist():
    for name, command in COMMANDS.items():
        assert command.name == name and dataclasses.is_dataclass(command.config_type())
        assert command.config_type().__dataclass_params__.frozen and callable(command.runner())
        if command.from_cli is not None:
            assert callable(command.attribute(command.from_cli))


def test_building_the_parser_loads_no_training_stack():
    code = ("import sys, json; from hebbkit.trainer.cli import build_parser; build_parser(); "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {'torch', 'pybullet', 'gymnasium', "
            "'ray', 'onnx', 'onnxruntime', 'matplotlib', 'rclpy', 'serial'} or m.startswith('hebbkit.trainer.envs'))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/")
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_a_hebbkit_error_ends_as_one_line_and_exit_1(capsys):
    from hebbkit.runtime.errors import DependencyError
    from hebbkit.trainer.cli import error_exit

    assert error_exit("ros-demo", DependencyError("needs the ROS 2 wheels:\n  pip install 'hebbkit[ros]'")) == 1
    assert capsys.readouterr().err == "hebbkit ros-demo: error: needs the ROS 2 wheels: pip install 'hebbkit[ros]'\n"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: hebbkit" in capsys.readouterr().out


def test_new_inspect_export(tmp_path, capsys):
    artifact = tmp_path / "rule.npz"
    assert main(["new", str(artifact), "--seed", "3"]) == 0
    assert "UNTRAINED" in capsys.readouterr().out
    assert main(["inspect", str(artifact)]) == 0
    out = capsys.readouterr().out
    assert "61,440 coefficients" in out and "validation   OK" in out and "sha256" in out
    assert main(["inspect", str(artifact), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] and report["metadata"]["provenance"]["seed"] == 3
    onnx_path = tmp_path / "rule.onnx"
    assert main(["export", str(artifact), "--onnx", str(onnx_path), "--verify-steps", "50"]) == 0
    out = capsys.readouterr().out
    assert onnx_path.exists() and "full check passed" in out and "verified 50 steps" in out


def test_inspect_reports_a_corrupt_file_and_exits_1(tmp_path, capsys):
    artifact = tmp_path / "rule.npz"
    main(["new", str(artifact)])
    artifact.write_bytes(artifact.read_bytes()[:1000])
    capsys.readouterr()
    assert main(["inspect", str(artifact)]) == 1
    assert "validation   FAILED: ArtifactCorruptError" in capsys.readouterr().out


def test_export_of_a_missing_file_is_a_clear_error(tmp_path, capsys):
    assert main(["export", str(tmp_path / "none.npz"), "--onnx", str(tmp_path / "x.onnx")]) == 1
    assert "no policy artifact at" in capsys.readouterr().err


def test_new_rejects_an_unknown_profile(tmp_path, capsys):
    assert main(["new", str(tmp_path / "x.npz"), "--profile", "hexapod"]) == 1
    assert capsys.readouterr().err.startswith("hebbkit new: error: unknown profile 'hexapod'; expected 'generic'")
    assert not (tmp_path / "x.npz").exists()


def test_bench_json_with_a_tiny_budget():
    result = run_cli("bench", "--json", "--episodes", "1", "--max-steps", "60", "--warmup-steps", "10")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["backends"]) == {"numpy", "onnx", "c"}
    for figures in report["backends"].values():
        assert figures["steps"] == 50 and figures["median_us"] > 0 and figures["p99_us"] >= figures["median_us"]
        assert figures["speedup_vs_naive"] > 0 and figures["speedup_vs_numpy"] > 0
    assert report["naive_numpy"]["median_us"] > 0


def test_demo_runs_and_writes_its_files(tmp_path):
    result = run_cli("demo", "--output", str(tmp_path), "--max-steps", "60", "--episodes", "1", "--no-plot",
                     "--model", str(tmp_path / "missing.npz"))
    assert result.returncode == 0, result.stderr
    assert "UNTRAINED rule" in result.stdout and "damaged_left_front (held out from training)" in result.stdout
    assert (tmp_path / "untrained_ant28.npz").exists() and (tmp_path / "ant_walks_then_leg_breaks.gif").exists()


def test_demo_runs_a_given_model(tmp_path):
    assert main(["new", str(tmp_path / "rule.npz"), "--seed", "2"]) == 0
    result = run_cli("demo", "--output", str(tmp_path / "out"), "--max-steps", "50", "--episodes", "1", "--no-gif",
                     "--model", str(tmp_path / "rule.npz"))
    assert result.returncode == 0, result.stderr
    assert "UNTRAINED" not in result.stdout and "distance" in result.stdout
    assert (tmp_path / "out" / "weights_trajectory.png").exists()


def test_inspect_a_static_weight_artifact(tmp_path, capsys):
    import numpy as np

    from hebbkit.runtime import ANT28, NetworkSpec, WeightInit, save_artifact
    from hebbkit.trainer.parameters import ParameterLayout

    layout = ParameterLayout.of(NetworkSpec(rule="static", init=WeightInit("stored")))
    flat = np.random.default_rng(1).normal(size=layout.size).astype(np.float32)
    artifact = save_artifact(layout.to_artifact(flat, ANT28, 0.0165), tmp_path / "static.npz")
    assert main(["inspect", str(artifact)]) == 0  # no Hebbian coefficients: the stored weights are summarised
    out = capsys.readouterr().out
    assert "static       initial_weights/0" in out and "validation   OK" in out


def test_eval_on_a_custom_body_written_as_text(tmp_path, capsys):
    assert main(["new", str(tmp_path / "rule.npz"), "--seed", "2"]) == 0
    capsys.readouterr()
    both_fronts = "front_right:lower:0.25+front_left:lower:0.25"  # not the canonical order: the key stays as given
    assert main(["eval", str(tmp_path / "rule.npz"), "--bodies", "standard", both_fronts, "--episodes", "1",
                 "--max-steps", "30", "--burn-in", "5", "--workers", "1", "--no-progress", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report["morphologies"]) == ["standard", both_fronts]
    assert report["morphologies"][both_fronts]["episodes"][0]["steps"] == 30
    assert report["morphologies"]["standard"] != report["morphologies"][both_fronts]
    standard = report["morphologies"]["standard"]  # legged robots: how far any joint went past its limits
    assert standard["joint_limit_excess_max"] == max(e["joint_limit_excess"] for e in standard["episodes"]) >= 0
    assert main(["eval", str(tmp_path / "rule.npz"), "--episodes", "1", "--max-steps", "30", "--burn-in", "5",
                 "--workers", "1", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "joint limits: largest excess over every episode" in out and ", 1 episode per body," in out


def test_eval_names_list_bodies_by_their_short_labels_in_its_table(tmp_path, capsys):
    # a list body's spec runs to 150 characters (every segment x0.45); the table names it by its label, the JSON
    # keeps the spec, and a body written as text that no list holds is shown as written
    assert main(["new", str(tmp_path / "rule.npz"), "--seed", "2"]) == 0
    capsys.readouterr()
    custom = "front_left:upper:0.9"
    assert main(["eval", str(tmp_path / "rule.npz"), "--bodies", "validation2", custom, "--episodes", "1",
                 "--max-steps", "10", "--burn-in", "5", "--workers", "1", "--no-progress"]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = [line.split(": distance")[0].strip() for line in lines if ": distance" in line]
    assert names == ["rear_lowers_x1.5", "diagonal_uppers_x1.5", "all_segments_x0.45", "left_lowers_x0.1",
                     "diagonal_motors_x0.4", custom]
    assert max(len(line) for line in lines if ": distance" in line) < 100


def test_suite_is_its_own_command_and_writes_its_table(tmp_path, capsys):
    assert main(["new", str(tmp_path / "rule.npz"), "--seed", "2"]) == 0
    capsys.readouterr()
    assert main(["suite", str(tmp_path / "rule.npz"), "--suite", "unseen-bodies", "--episodes", "1", "--max-steps",
                 "30", "--burn-in", "5", "--workers", "2", "--no-progress", "--output", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Bodies it never saw: 1 episode per condition") and "| front_lowers_x0.25 |" in out
    report = json.loads((tmp_path / "out" / "suite.json").read_text())
    assert list(report["results"]) == ["rule"] and report["max_steps"] == 30


def test_suite_columns_put_the_hebbian_model_first_whichever_is_the_baseline(tmp_path, capsys):
    from hebbkit.trainer.evaluate import suite_columns

    for folder, rule in (("ant-robust", "ABCD_lr"), ("ant-paper", "ABCD_lr"), ("ant-static-robust", "static")):
        (tmp_path / folder).mkdir()
        assert main(["new", str(tmp_path / folder / "model.npz"), "--rule", rule, "--hidden", "4"]) == 0
    hebbian, paper, static = (tmp_path / name / "model.npz" for name in ("ant-robust", "ant-paper",
                                                                            "ant-static-robust"))
    # a static model shipped with the Hebbian one as its baseline still fills the 'static' column
    assert suite_columns(static, hebbian) == suite_columns(hebbian, static) == {"hebbian": hebbian, "static": static}
    assert suite_columns(hebbian, paper) == {"ant-robust": hebbian, "ant-paper": paper}
    assert suite_columns(hebbian, hebbian) == {"artifact": hebbian, "baseline": hebbian}
    assert suite_columns(static, None) == {"model": static}
    assert main(["suite", str(static), "--baseline", str(hebbian), "--suite", "unseen-bodies", "--episodes", "1",
                 "--max-steps", "12", "--burn-in", "5", "--workers", "1", "--no-progress", "--output",
                 str(tmp_path / "out")]) == 0
    report = json.loads((tmp_path / "out" / "suite.json").read_text())
    assert report["artifacts"] == {"hebbian": str(hebbian), "static": str(static)}


@pytest.mark.parametrize("arguments, message, code", [
    (["suite", "{tmp}/rule.npz", "--suite", "moon"], "invalid choice: 'moon'", 2),
    (["suite", "{tmp}/rule.npz", "--episodes", "0"], "hebbkit suite: error: --episodes must be >= 1, got 0", 1),
    (["suite", "{tmp}/missing.npz"], "hebbkit suite: error: no policy artifact at", 1),
    (["eval", "{tmp}/rule.npz", "--suite", "sim2real"], "unrecognized arguments: --suite", 2),  # now `hebbkit suite`
])
def test_suite_refuses_bad_input_before_running_anything(tmp_path, capsys, arguments, message, code):
    assert main(["new", str(tmp_path / "rule.npz"), "--hidden", "4"]) == 0
    capsys.readouterr()
    try:
        returned = main([argument.format(tmp=tmp_path) for argument in arguments])
    except SystemExit as exit_info:  # argparse's usage errors
        returned = exit_info.code
    assert returned == code
    assert message in capsys.readouterr().err


def test_eval_refuses_a_bad_body_before_running_anything(tmp_path, capsys):
    assert main(["new", str(tmp_path / "rule.npz")]) == 0
    assert main(["eval", str(tmp_path / "rule.npz"), "--bodies", "validation", "front_left:lower:9"]) == 1
    assert "scale '9' is outside [0, 4]" in capsys.readouterr().err


def test_eval_help_explains_the_body_syntax_and_lists(capsys):
    with pytest.raises(SystemExit):
        main(["eval", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "leg:segment:scale" in help_text and "front_left:lower:0.25+front_right:lower:0.25" in help_text
    assert "'unseen'" in help_text and "'validation'" in help_text and "`hebbkit suite --suite" in help_text
    with pytest.raises(SystemExit):
        main(["suite", "--help"])
    help_text = capsys.readouterr().out.replace("\n", "")
    assert "{sim2real,unseen-bodies}" in help_text


# ----------------------------------------------------------------- new / inspect / export: bad input, one clear line


def test_new_into_a_folder_is_a_clear_error(tmp_path, capsys):
    assert main(["new", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err == f"hebbkit new: error: {tmp_path} is a folder; expected the path of a file to write\n"


def test_new_below_a_file_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "afile").write_text("")
    assert main(["new", str(tmp_path / "afile" / "rule.npz")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("hebbkit new: error: cannot write") and "cannot create its folder" in err
    assert err.count("\n") == 1


def test_new_help_lists_the_rules_and_families_it_accepts(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["new", "--help"])
    assert exit_info.value.code == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "inspect --rules" not in help_text
    assert "{A,ABC,ABCD,ABCD_lr," in help_text and "{diagonal,neuron,synapse}" in help_text
    with pytest.raises(SystemExit) as exit_info:
        main(["new", "x.npz", "--rule", "ABCDE"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'ABCDE'" in capsys.readouterr().err


@pytest.mark.parametrize("arguments, message", [
    (["new", "{tmp}/x.npz", "--seed", "-1"], "hebbkit new: error: --seed must be >= 0, got -1"),
    (["new", "{tmp}/x.npz", "--hidden", "100000", "100000"], "hebbkit new: error: layer_sizes"),
    (["new", "{tmp}/x.npz", "--control-period", "-1"], "hebbkit new: error: control_period must be"),
    (["export", "{tmp}/rule.npz", "--onnx", "{tmp}/x.onnx", "--verify-steps", "-5"],
     "hebbkit export: error: --verify-steps must be >= 0 (0 skips verification), got -5"),
    (["export", "{tmp}/rule.npz", "--onnx", "{tmp}/x.onnx", "--seed", "-3"], "hebbkit export: error: --seed"),
    (["export", "{tmp}/rule.npz", "--onnx", "{tmp}", "--verify-steps", "0"],
     "hebbkit export: error: {tmp} is a folder"),
])
def test_bad_new_and_export_options_end_in_one_line_and_exit_1(tmp_path, capsys, arguments, message):
    assert main(["new", str(tmp_path / "rule.npz"), "--hidden", "4"]) == 0
    capsys.readouterr()
    assert main([argument.format(tmp=tmp_path) for argument in arguments]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith(message.format(tmp=tmp_path)) and captured.err.count("\n") == 1
    assert not (tmp_path / "x.onnx").exists() and not (tmp_path / "x.npz").exists()


def test_inspect_of_malformed_metadata_is_one_line_and_exit_1(tmp_path, capsys):
    import numpy as np

    from hebbkit.runtime.artifact import METADATA_KEY

    path = tmp_path / "rule.npz"
    assert main(["new", str(path), "--hidden", "4"]) == 0
    with np.load(path) as archive:
        members = {name: archive[name] for name in archive.files}
    metadata = json.loads(members[METADATA_KEY].tobytes())
    del metadata["metadata_sha256"]  # as in a file written before metadata checksums: the fields are checked
    metadata.update(network=[28, 4, 8], n_coefficients="many", tensors=["coefficients/0"])
    members[METADATA_KEY] = np.frombuffer(json.dumps(metadata).encode(), dtype=np.uint8)
    np.savez(path, **members)
    capsys.readouterr()
    assert main(["inspect", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.err == "" and "'many' coefficients" in captured.out  # shown as found, not a traceback
    assert f"validation   FAILED: ArtifactSchemaError: {path}: malformed metadata: field network should be an " \
           "object, found [28, 4, 8] (list)\n" in captured.out


def test_export_verifies_an_artifact_with_a_conv_front_end(tmp_path, capsys):
    from hebbkit.runtime import NetworkSpec, new_artifact, save_artifact
    from hebbkit.runtime.frontend import ConvLayer, Frontend

    frontend = Frontend((3, 12, 12), (ConvLayer(3, 2, 3, 1),))
    spec = NetworkSpec(layer_sizes=(frontend.output_size, 3), activations=("tanh",), frontend=frontend)
    path = save_artifact(new_artifact(spec, seed=0), tmp_path / "conv.npz")
    assert main(["export", str(path), "--onnx", str(tmp_path / "conv.onnx"), "--verify-steps", "3"]) == 0
    assert "verified 3 steps" in capsys.readouterr().out


def test_a_file_without_a_metadata_checksum_warns_in_one_line(tmp_path):
    """Issue 28: loading an artifact written before `metadata_sha256` warns; the CLI shows the warning as one line
    (`hebbkit COMMAND: warning: ...`), inspect as a `warning` line of its report, and both still succeed."""
    import numpy as np

    from hebbkit.runtime.artifact import METADATA_KEY

    path = tmp_path / "old.npz"
    assert main(["new", str(path), "--hidden", "4"]) == 0
    with np.load(path) as archive:
        members = {name: archive[name] for name in archive.files}
    metadata = json.loads(members[METADATA_KEY].tobytes())
    del metadata["metadata_sha256"]
    members[METADATA_KEY] = np.frombuffer(json.dumps(metadata).encode(), dtype=np.uint8)
    np.savez(path, **members)
    exported = run_cli("export", str(path), "--c", str(tmp_path / "c"))
    assert exported.returncode == 0, exported.stderr
    assert exported.stderr == f"hebbkit export: warning: {path}: no metadata_sha256 (written before hebbkit " \
                              "recorded one): its tensors are verified, an edit of its metadata within the field " \
                              "bounds is not; load and save it again to add the checksum\n"
    inspected = run_cli("inspect", str(path))
    assert inspected.returncode == 0 and inspected.stderr == ""
    assert f"\nwarning      {path}: no metadata_sha256" in inspected.stdout


# ------------------------------------------------------------------------------ pipes, version, help text


def cli_env(buffered: bool) -> dict[str, str]:
    """The environment of a `hebbkit` subprocess, with stdout block-buffered (as on a pipe) or not."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    return env if buffered else {**env, "PYTHONUNBUFFERED": "1"}


@pytest.mark.parametrize("buffered", [True, False])
@pytest.mark.parametrize("arguments, codes", [
    (("inspect", str(MODEL)), {141}), (("inspect", str(MODEL), "--json"), {141}), (("--version",), {141}),
    (("--help",), {0, 141}), (("eval", "--help"), {0, 141}),  # 0: argparse drops a help it cannot write itself
])
def test_output_into_a_pipe_nobody_reads_ends_quietly_with_exit_141(arguments, codes, buffered):
    read, write = os.pipe()
    os.close(read)  # the reader is gone before hebbkit writes anything: every write meets a broken pipe
    try:
        result = subprocess.run([sys.executable, "-m", "hebbkit.trainer.cli", *arguments], stdout=write,
                                stderr=subprocess.PIPE, text=True, env=cli_env(buffered), timeout=120)
    finally:
        os.close(write)
    assert result.returncode in codes and result.stderr == ""


@pytest.mark.parametrize("buffered", [True, False])
def test_inspect_piped_into_head_shows_its_first_line_and_no_traceback(buffered):
    hebbkit = subprocess.Popen([sys.executable, "-m", "hebbkit.trainer.cli", "inspect", str(MODEL)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env(buffered))
    head = subprocess.run(["head", "-1"], stdin=hebbkit.stdout, capture_output=True, text=True, timeout=120)
    assert hebbkit.stdout is not None and hebbkit.stderr is not None
    hebbkit.stdout.close()
    error = hebbkit.stderr.read().decode()
    assert hebbkit.wait(timeout=120) in (0, 141) and error == ""  # 0: it wrote all before head left
    assert head.stdout.startswith(f"artifact     {MODEL} (")


def test_version_prints_the_package_version_and_the_checkouts_commit():
    from importlib.metadata import version

    result = run_cli("--version")
    assert result.returncode == 0 and result.stderr == ""
    found = re.fullmatch(r"hebbkit (\S+)(?: \(git ([0-9a-f]{40})(\+dirty)?\))?\n", result.stdout)
    assert found is not None, result.stdout
    assert found.group(1) == version("hebbkit")
    if shutil.which("git") and (ROOT / ".git").exists():
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        assert found.group(2) == head


def command_help(command: str, capsys) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_help_ends_with_examples_from_the_cli_docs(command, capsys):
    docs = (ROOT / "docs" / "cli.md").read_text()
    examples = COMMANDS[command].examples
    assert 1 <= len(examples) <= 2
    lines = command_help(command, capsys).rstrip("\n").splitlines()
    assert lines[-1 - len(examples)] == "examples:"
    for example, line in zip(examples, lines[-len(examples):], strict=True):
        invocation = example.split("  # ")[0]
        assert line == f"  {example}" and invocation.startswith(f"hebbkit {command}")
        assert invocation in docs, invocation


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_no_help_shows_a_default_as_none_as_empty_or_as_a_python_tuple(command, capsys):
    help_text = " ".join(command_help(command, capsys).split())
    for wrong in ("(default: None)", "(default: )", "(default: ("):
        assert wrong not in help_text
    assert not re.search(r"\(default[^)]*\) \(default", help_text)


def test_help_shows_tuple_defaults_as_typed_and_explained_defaults_once(capsys):
    new = " ".join(command_help("new", capsys).split())
    assert "hidden layer sizes (default: 128 64)" in new
    assert "seconds per control step (default: the robot's, or 0.0165) --robot" in new
    evaluate = " ".join(command_help("eval", capsys).split())
    assert "lists replaced by their entries (default: standard) (formerly --morphologies)" in evaluate
    train = " ".join(command_help("train", capsys).split())
    assert "(default: standard damaged_right_front)" in train and "(default runs/<config>-<time>) --resume" in train
    bench = " ".join(command_help("bench", capsys).split())
    assert "(the others are named as skipped) --seed" in bench


@pytest.mark.parametrize("command, usage", [("robot", "{check} ROBOT"), ("bridge", "{ping,monitor,stats}")])
def test_usage_names_the_choices_of_an_action_argument(command, usage, capsys):
    assert usage in command_help(command, capsys).split("\n\n")[0]


# ------------------------------------------------------------------------------------------------- new


def test_new_refuses_to_overwrite_a_file_unless_forced(tmp_path, capsys):
    path = tmp_path / "rule.npz"
    path.write_bytes(b"keep me")
    assert main(["new", str(path), "--hidden", "4"]) == 1
    assert capsys.readouterr().err == f"hebbkit new: error: {path} exists; pass --force to overwrite it\n"
    assert path.read_bytes() == b"keep me"
    assert main(["new", str(path), "--hidden", "4", "--force"]) == 0
    assert path.read_bytes() != b"keep me"


def test_new_static_stores_its_fixed_weights_and_says_so(tmp_path, capsys):
    from hebbkit.runtime import load_artifact

    path = tmp_path / "static.npz"
    assert main(["new", str(path), "--rule", "static", "--hidden", "16", "--seed", "4"]) == 0
    out = capsys.readouterr().out
    assert "coefficients" not in out and "N(0, 1)" not in out
    assert "UNTRAINED static network on 28-16-8: no rule, 576 fixed weights stored" in out
    artifact = load_artifact(path)
    assert artifact.network.init.distribution == "stored" and artifact.network.rule == "static"
    first = artifact.static_tensors["initial_weights/0"]
    assert first.shape == (28, 16) and 0 < abs(first).max() <= 1 / 28 ** 0.5
    assert main(["inspect", str(path)]) == 0
    assert "init         drawn once (untrained), stored in the artifact" in capsys.readouterr().out


def test_new_static_draws_the_weights_the_trainers_static_start_draws(tmp_path):
    """One fan-in-uniform draw: `hebbkit new --rule static --seed S` holds the weights a `--static-init
    fan-in-uniform` training run's layout draws from the same seed."""
    import numpy as np

    from hebbkit.runtime import load_artifact
    from hebbkit.trainer.parameters import ParameterLayout

    path = tmp_path / "static.npz"
    assert main(["new", str(path), "--rule", "static", "--hidden", "16", "8", "--seed", "11"]) == 0
    artifact = load_artifact(path)
    layout = ParameterLayout.of(artifact.network)
    drawn = layout.unravel(layout.fan_in_uniform(np.random.default_rng(11)))
    for name, tensor in drawn.items():
        np.testing.assert_array_equal(artifact.static_tensors[name], tensor)


# ------------------------------------------------------------------------------------------------- inspect


def test_inspect_describes_a_pixel_profile_and_a_cars_actions_and_prints_no_none(capsys):
    assert main(["inspect", str(CAR)]) == 0
    out = capsys.readouterr().out
    assert "profile      carracing84: a 3x84x84 image (channels x height x width), 3 actions (steer/gas/brake)\n" in out
    assert "torque" not in out and "None" not in out and "['" not in out
    assert "action head tanh/sigmoid/sigmoid" in out and "provenance   fitness: -\n" in out
    assert main(["inspect", str(MODEL)]) == 0
    out = capsys.readouterr().out
    assert "profile      ant28: 28 observations, 8 actions (torque)\n" in out
    assert "action head" not in out and "activations tanh/tanh/tanh\n" in out


# ------------------------------------------------------------------------------------------------- export


def test_the_printed_c_build_commands_build(tmp_path):
    compiler = shutil.which("cc")
    if compiler is None:
        pytest.skip("no C compiler (cc)")
    folder = tmp_path / "model c"  # a space: the printed paths are quoted for the shell
    result = run_cli("export", str(MODEL), "--c", str(folder))
    assert result.returncode == 0, result.stderr
    commands = re.findall(r"(cc -std=c99 .*?)(?: \(|$)", result.stdout, flags=re.MULTILINE)
    assert len(commands) == 2 and "main.c" in commands[0] and " -c " in commands[1], result.stdout
    (tmp_path / "main.c").write_text(
        '#include <stdio.h>\n#include "hebb_model.h"\nstatic hebb_model model;\n'
        "int main(void) {\n    float observation[HEBB_MODEL_N_INPUTS] = {0};\n    hebb_model_init(&model, 1);\n"
        "    const float *action = hebb_model_step(&model, observation, 1);\n"
        '    printf("%d %d\\n", HEBB_MODEL_N_ACTIONS, action[0] == action[0]);\n    return 0;\n}\n')
    for command in commands:
        built = subprocess.run(command, shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert built.returncode == 0, (command, built.stderr)
    ran = subprocess.run([str(tmp_path / "controller")], capture_output=True, text=True, timeout=60)
    assert ran.stdout == "8 1\n"
    assert {path.name for path in tmp_path.glob("*.o")} == {"hebb_model.o", "hebb_kernel.o", "hebb_rng.o"}


# ------------------------------------------------------------------------------------------ bench, eval


def test_bench_scales_its_default_warmup_to_a_short_run_and_keeps_a_given_one():
    from hebbkit.runtime.bench import BenchConfig

    assert BenchConfig().warmup == 200 and BenchConfig(max_steps=10).warmup == 2
    assert BenchConfig(max_steps=10, warmup_steps=0).warmup == 0
    result = run_cli("bench", "--json", "--episodes", "1", "--max-steps", "10", "--backends", "numpy")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["config"]["warmup_steps"] == 2 and report["backends"]["numpy"]["steps"] == 8


def test_eval_within_the_default_burn_in_names_the_flag_to_pass(capsys):
    assert main(["eval", str(MODEL), "--max-steps", "10"]) == 1
    assert capsys.readouterr().err == ("hebbkit eval: error: --max-steps 10 leaves no step after the default "
                                       "--burn-in of 40 zero-action steps: pass a smaller one with it, e.g. "
                                       "--burn-in 2\n")
    assert main(["suite", str(MODEL), "--max-steps", "30", "--burn-in", "30"]) == 1
    assert "need 0 <= --burn-in < --max-steps, got burn-in 30, max-steps 30" in capsys.readouterr().err


def test_eval_of_an_unknown_body_names_the_flag_and_the_lists(capsys):
    assert main(["eval", str(MODEL), "--bodies", "standard", "bogus"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("hebbkit eval: error: --bodies: unknown body 'bogus'; expected a preset (")
    assert "a list (unseen, " in err and "validation" in err and "leg:segment:scale" in err and err.count("\n") == 1


# ------------------------------------------------------------------------------------------ bridge, record


def test_bridge_stats_prints_a_table_of_counters():
    pytest.importorskip("serial")
    result = run_cli("bridge", "stats", "--port", "loop://", "--seconds", "0.2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "LinkStats" not in result.stdout and len(lines) == 13
    assert re.fullmatch(r"crc errors +0", next(line for line in lines if line.startswith("crc")))
    assert re.fullmatch(r"round trips +0", lines[-1])


def test_record_reports_sizes_below_a_megabyte_in_kb():
    from hebbkit.trainer.record import file_size

    assert file_size(37_000) == "37 KB" and file_size(2_400_000) == "2.4 MB" and file_size(512) == "512 bytes"
