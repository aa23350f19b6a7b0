"""Hostile artifacts through `hebbkit export --c`: nothing in a file reaches the compiler as code.

Guaranteed, for any artifact whose checksums match (written by the project's own API or resealed by hand):
- every name that reaches C (profile name, robot, layout, joint, action and observation names, rule, family, init,
  actuation) is a string literal holding exactly the name's UTF-8 bytes: quotes, backslashes, `?` (trigraphs such
  as `??/`), control and non-ASCII bytes are octal escapes; no metadata is written into a comment (`*/` in a name
  ends nothing); provenance never reaches C;
- names that could never be labels (control characters such as NUL, newline, CR or ESC, invisible format
  characters, unpaired surrogates, over 256 characters) are refused when the profile is built or the file loaded;
- numbers: a coefficient that folds to Inf (eta = A = 3e38), or a control period that rounds to 0 us, is refused
  with an `ExportError`; every other number that validation lets through is a finite float32 literal;
- either way the result is a typed `HebbkitError` whose message is one line, or a folder that compiles under the
  tests' build line (`-std=c99 -Wall -Wextra -Werror -pedantic`, trigraphs on), whose strings read back exactly,
  and whose code (string literals and comments stripped) is the same as for harmless names.

The fuzz tests build each case as a file (metadata edited, both checksums resealed), load it and export it, as
`hebbkit export --c` does, and compile the result with the host's gcc.
"""

from __future__ import annotations

import ctypes
import dataclasses
import json
import math
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from hebbkit.runtime import NetworkSpec, PolicyArtifact, load_artifact, new_artifact, proprio_profile, save_artifact
from hebbkit.runtime.artifact import METADATA_CHECKSUM_KEY, METADATA_KEY, metadata_checksum
from hebbkit.runtime.c_export import c_string, export_c
from hebbkit.runtime.errors import ConfigError, ExportError, HebbkitError
from tests.runtime.exported_model import FLAGS

JOINTS = ("hip", "knee")
LIMITS = ((-0.5, 0.5), (-1.0, 1.5))
NAME_FIELDS = ("name", "robot", "observation")
NAME_LISTS = ("observation_names", "action_names", "joint_names", "foot_names")
PIECES = ("*/", "/*", "//", "??/", "??=", "??'", "??(", "??!", "??-", "?", '"', "'", "\\", "\\\n", "\n", "\r",
          "\0", "\t", "\x1b[31m", "\u202e", "\u2028", "\ud800", "#define X 1", "#include <stdio.h>", "%s%n",
          "int injected = 1;", "}; int injected(void) { return 1; } /*", "\u00e9", "\U0001f4a5", "\xff", " ", "x")
FUZZ_SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                                  HealthCheck.function_scoped_fixture])
PROBE = """#include "hebb_model.h"
const char *const probe_macros[5] = {HEBB_MODEL_PROFILE, HEBB_MODEL_ACTION_MODE, HEBB_MODEL_RULE,
                                     HEBB_MODEL_FAMILY, HEBB_MODEL_INIT_DISTRIBUTION};
const unsigned long probe_period_us = HEBB_MODEL_CONTROL_PERIOD_US;
"""
STRINGS_AND_COMMENTS = re.compile(r'"(?:[^"\\\n]|\\.)*"|/\*.*?\*/|//[^\n]*', re.DOTALL)

names = st.lists(st.sampled_from(PIECES) | st.text(max_size=4), max_size=5).map("".join)
printable = st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S"))
labels = st.lists(st.sampled_from([piece for piece in PIECES if piece.isprintable()]) | st.text(printable, max_size=4),
                  max_size=5).map("".join)
"""Names that are valid labels (printable), hostile to C all the same: most fuzzed names are these, so that most
cases export and compile; `names` adds what validation refuses."""


def compiler() -> str:
    found = shutil.which("gcc") or shutil.which("cc")
    if found is None:
        pytest.skip("no host C compiler")
    return found


def base_artifact() -> PolicyArtifact:
    profile = proprio_profile(JOINTS, LIMITS, ("foot",), "position", name="base")
    spec = NetworkSpec(layer_sizes=(profile.n_observations, 4, profile.n_actions), activations=("tanh", "tanh"))
    return new_artifact(spec, profile=profile, seed=3, provenance={"command": "test"})


def resealed(base: Path, path: Path, change) -> Path:
    """`base` with its metadata changed by `change(metadata)` and both checksums recorded anew."""
    with zipfile.ZipFile(base) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    with np.load(base) as archive:
        metadata = json.loads(archive[METADATA_KEY].tobytes())
    change(metadata)
    metadata[METADATA_CHECKSUM_KEY] = metadata_checksum(metadata)
    text = json.dumps(metadata).encode("utf-8", "surrogatepass")  # lone surrogates stay what a hostile file holds
    buffer = path.with_suffix(".meta.npy")
    np.save(buffer, np.frombuffer(text, dtype=np.uint8))
    members[f"{METADATA_KEY}.npy"] = buffer.read_bytes()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def export_or_refusal(path: Path, folder: Path) -> PolicyArtifact | None:
    """Load and export as the CLI does; None after a clean refusal (a HebbkitError of one line)."""
    try:
        artifact = load_artifact(path)
        export_c(artifact, folder)
    except HebbkitError as error:
        assert "\n" not in str(error) and "\r" not in str(error), repr(str(error))
        return None
    return artifact


def build(folder: Path) -> ctypes.CDLL:
    (folder / "probe.c").write_text(PROBE)
    library = folder / "model.so"
    sources = sorted(str(path) for path in folder.glob("*.c"))
    result = subprocess.run([compiler(), *FLAGS, "-o", str(library), *sources, "-lm"], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    return ctypes.CDLL(str(library))


def fuzzed_export(path: Path, folder: Path) -> tuple[PolicyArtifact, ctypes.CDLL] | None:
    """Export `path` into `folder` and build it; None after a clean refusal, which must leave `folder` unwritten."""
    artifact = export_or_refusal(path, folder)
    event("refused" if artifact is None else "exported")
    if artifact is None:
        assert not folder.exists()
        return None
    return artifact, build(folder)


def strings(library: ctypes.CDLL, symbol: str, count: int) -> list[bytes]:
    return list((ctypes.c_char_p * count).in_dll(library, symbol))


def floats(library: ctypes.CDLL, symbol: str, count: int) -> np.ndarray:
    return np.array((ctypes.c_float * count).in_dll(library, symbol), dtype=np.float32)


def code_of(folder: Path) -> str:
    """The generated files with string literals and comments removed: what the compiler runs."""
    text = "".join((folder / name).read_text() for name in ("hebb_model.h", "hebb_model.c"))
    assert "??" not in text  # no trigraph sequence anywhere, inside strings or out
    return STRINGS_AND_COMMENTS.sub('""', text)


def comments_of(folder: Path) -> list[str]:
    text = "".join((folder / name).read_text() for name in ("hebb_model.h", "hebb_model.c"))
    return [match for match in STRINGS_AND_COMMENTS.findall(text) if not match.startswith('"')]


def utf8(text: str) -> bytes:
    return text.encode("utf-8")


@pytest.fixture(scope="module")
def base_file(tmp_path_factory) -> Path:
    return save_artifact(base_artifact(), tmp_path_factory.mktemp("base") / "base.npz")


@pytest.fixture(scope="module")
def harmless_code(base_file, tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("harmless")
    export_c(load_artifact(base_file), folder)
    return code_of(folder)


# ------------------------------------------------------------------------------------------------- the cases found


def test_a_profile_name_that_closes_the_comment_injects_nothing(base_file, harmless_code, tmp_path):
    name = "evil */ int injected_by_name(void) { return 42; } /*"
    path = resealed(base_file, tmp_path / "evil.npz", lambda m: m["profile"].update(name=name))
    assert export_or_refusal(path, tmp_path / "c") is not None
    library = build(tmp_path / "c")
    assert not hasattr(library, "injected_by_name")
    assert strings(library, "probe_macros", 1) == [utf8(name)]
    assert code_of(tmp_path / "c") == harmless_code
    assert not any("evil" in comment for comment in comments_of(tmp_path / "c"))


def test_a_trigraph_in_an_action_name_stays_inside_its_string(base_file, harmless_code, tmp_path):
    name = 'a??/", "x"}; int injected_by_trigraph = 1; //'
    path = resealed(base_file, tmp_path / "trigraph.npz",
                    lambda m: m["profile"]["action_names"].__setitem__(0, name))
    artifact = export_or_refusal(path, tmp_path / "c")
    assert artifact is not None
    library = build(tmp_path / "c")
    assert not hasattr(library, "injected_by_trigraph")
    assert strings(library, "hebb_model_action_names", 2) == [utf8(n) for n in artifact.profile.action_names]
    assert code_of(tmp_path / "c") == harmless_code


@pytest.mark.parametrize("character", ["\n", "\r", "\0", "\x1b", "\u202e", "\u2028", "\ud800"])
@pytest.mark.parametrize("field", ["name", "joint_names", "action_names", "observation_names", "robot"])
def test_names_that_are_no_labels_are_refused_on_load_in_one_line(base_file, tmp_path, field, character):
    def change(metadata: dict) -> None:
        profile = metadata["profile"]
        if isinstance(profile[field], list):
            profile[field][0] = f"joint{character}x"
        else:
            profile[field] = f"name{character}x"

    path = resealed(base_file, tmp_path / "bad.npz", change)
    with pytest.raises(HebbkitError, match="printable characters only") as error:
        load_artifact(path)
    assert "\n" not in str(error.value) and "\r" not in str(error.value)
    assert not (tmp_path / "c").exists()


def test_names_longer_than_a_label_and_non_strings_are_refused():
    artifact = base_artifact()
    with pytest.raises(ConfigError, match="at most 256 characters"):
        proprio_profile(JOINTS, LIMITS, (), "position", name="n" * 257)
    with pytest.raises(ConfigError, match="should be a string"):
        dataclasses.replace(artifact.profile, robot=5)


def test_c_strings_escape_everything_but_plain_characters():
    assert c_string('a"b\\c??/d\n\u00e9') == '"a\\042b\\134c\\077\\077/d\\012\\303\\251"'
    with pytest.raises(ExportError, match="NUL"):
        c_string("a\0b")
    with pytest.raises(ExportError, match="Unicode"):
        c_string("\ud800")


def test_coefficients_that_fold_to_inf_are_refused(tmp_path, capsys):
    from hebbkit.trainer.cli import main

    spec = NetworkSpec(layer_sizes=(3, 2), activations=("tanh",))
    coefficients = np.full((3, 2, spec.rule_spec.n_coefficients), 3e38, dtype=np.float32)
    path = save_artifact(new_artifact(spec, [coefficients]), tmp_path / "huge.npz")
    with pytest.raises(ExportError, match="overflow float32 to Inf"):
        export_c(load_artifact(path), tmp_path / "c")
    assert not (tmp_path / "c").exists()
    capsys.readouterr()
    assert main(["export", str(path), "--c", str(tmp_path / "c")]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "hebbkit export: error: layer 0" in error


@pytest.mark.parametrize("period", [1e-7, 4.9e-7])
def test_a_control_period_under_a_microsecond_is_refused(tmp_path, period):
    artifact = new_artifact(NetworkSpec(layer_sizes=(3, 2), activations=("tanh",)), control_period=period)
    with pytest.raises(ExportError, match="at least 1 us"):
        export_c(artifact, tmp_path)


def test_a_control_period_of_one_microsecond_exports(tmp_path):
    artifact = new_artifact(NetworkSpec(layer_sizes=(3, 2), activations=("tanh",)), control_period=1e-6)
    export_c(artifact, tmp_path)
    assert ctypes.c_ulong.in_dll(build(tmp_path), "probe_period_us").value == 1


# ------------------------------------------------------------------------------------------------- fuzz: names


@FUZZ_SETTINGS
@given(data=st.data())
def test_fuzz_names_export_cleanly_or_are_refused(base_file, harmless_code, tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("names")

    hostile = data.draw(st.sampled_from([None, *NAME_FIELDS, *NAME_LISTS]), label="field that may be no label")

    def change(metadata: dict) -> None:
        profile = metadata["profile"]
        for field in NAME_FIELDS:
            profile[field] = data.draw(names if field == hostile else labels, label=field)
        for field in NAME_LISTS:
            for index in range(len(profile[field])):
                profile[field][index] = data.draw(names if field == hostile else labels, label=f"{field}[{index}]")
        metadata["provenance"][data.draw(names, label="provenance key")] = data.draw(names, label="provenance")
        metadata["provenance"]["command"] = "PROVENANCE_MARKER " + data.draw(names, label="command")

    path = resealed(base_file, folder / "fuzz.npz", change)
    exported = fuzzed_export(path, folder / "c")
    if exported is None:
        return
    artifact, library = exported
    profile = artifact.profile
    assert strings(library, "probe_macros", 2) == [utf8(profile.name), utf8(profile.action_mode)]
    for symbol, values in (("hebb_model_joint_names", profile.joint_names),
                           ("hebb_model_action_names", profile.action_names),
                           ("hebb_model_observation_names", profile.observation_names)):
        assert strings(library, symbol, len(values)) == [utf8(value) for value in values]
    assert code_of(folder / "c") == harmless_code
    assert all("PROVENANCE_MARKER" not in path.read_text() for path in (folder / "c").glob("hebb_model.*"))


# ------------------------------------------------------------------------------------------------- fuzz: numbers

EXTREMES = (math.inf, -math.inf, math.nan, 1e308, -1e308, 3.5e38, 3.4e38, 1e38, 1e6, 1e6 + 1, -1e6, 1.0, 0.5, 0.0,
            -0.0, 1e-7, 4.9e-7, 1e-6, 1e-38, 1e-45, 5e-324, 1e-320, 60.0, 61.0, 1e3, 1e3 + 1)
numbers = st.sampled_from(EXTREMES) | st.floats(0.0, 100.0) | st.floats(-1e6, 1e6) | st.floats()
NUMBER_FIELDS = ("action_low", "action_high", "action_scale", "action_offset", "observation_scale",
                 "observation_offset", "observation_clip", "joint_limits", "control_period", "init.scale")


def set_number(metadata: dict, field: str, value: float) -> None:
    """Put `value` into `field` (the first entry of a list field, the first joint's lower limit)."""
    profile = metadata["profile"]
    if field == "control_period":
        metadata[field] = value
    elif field == "init.scale":
        metadata["network"]["init"]["scale"] = value
    elif field == "observation_clip":
        profile[field] = value
    elif field == "joint_limits":
        profile[field][0][0] = value
    else:
        profile[field][0] = value


@FUZZ_SETTINGS
@given(changes=st.dictionaries(st.sampled_from(NUMBER_FIELDS), numbers, min_size=1, max_size=3))
@example(changes={"control_period": 1e-7})
@example(changes={"control_period": 4.9e-7, "action_scale": 1e-45})
@example(changes={"action_low": -1e6, "action_scale": 1e6, "observation_clip": 1e-45})
def test_fuzz_numbers_export_cleanly_or_are_refused(base_file, tmp_path_factory, changes):
    folder = tmp_path_factory.mktemp("numbers")

    def change(metadata: dict) -> None:
        for field, value in changes.items():
            set_number(metadata, field, value)

    path = resealed(base_file, folder / "fuzz.npz", change)
    exported = fuzzed_export(path, folder / "c")
    if exported is None:
        return
    artifact, library = exported
    profile, n = artifact.profile, artifact.profile.n_actions
    for symbol, values in (("hebb_model_action_low", profile.action_low), ("hebb_model_action_high",
                           profile.action_high), ("hebb_model_action_scale", profile.action_scale),
                           ("hebb_model_action_offset", profile.action_offset)):
        np.testing.assert_array_equal(floats(library, symbol, n), np.float32(values))
    np.testing.assert_array_equal(floats(library, "hebb_model_joint_lower", n),
                                  np.float32([lower for lower, _ in profile.joint_limits]))
    assert ctypes.c_ulong.in_dll(library, "probe_period_us").value == round(artifact.control_period * 1e6) >= 1


@FUZZ_SETTINGS
@given(magnitude=st.sampled_from((1e-45, 1e-20, 1.0, 1e3, 1e19, 2e19, 1e38, 3.4e38)) | st.floats(0, 3.5e38),
       seed=st.integers(0, 2**16))
@example(magnitude=3e38, seed=0)  # eta = A = 3e38 folds to Inf
def test_fuzz_coefficients_export_cleanly_or_are_refused(tmp_path_factory, magnitude, seed):
    folder = tmp_path_factory.mktemp("coefficients")
    spec = NetworkSpec(layer_sizes=(2, 2), activations=("tanh",))
    shape = (2, 2, spec.rule_spec.n_coefficients)
    signs = np.random.default_rng(seed).choice([-1.0, 1.0], size=shape)
    with np.errstate(over="ignore"):
        coefficients = (signs * magnitude).astype(np.float32)
    try:
        path = save_artifact(new_artifact(spec, [coefficients]), folder / "fuzz.npz")
    except HebbkitError as error:  # Inf in a tensor
        assert "\n" not in str(error)
        return
    fuzzed_export(path, folder / "c")
