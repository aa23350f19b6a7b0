"""The JSON shape of an artifact's metadata: one table of fields and their JSON types.

`check_metadata` runs before anything is built from the metadata, so a malformed file fails with one line naming
the field ("field profile.action_low should be null or a list of numbers, found 'x' (str)") instead of a
TypeError deep inside a constructor. Values (ranges, finiteness, consistency) are checked afterwards by the
dataclasses the fields become (`NetworkSpec`, `WeightInit`, `Frontend`, `RobotProfile`) and by the loader.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .errors import ArtifactSchemaError

_LARGEST_EXACT_INTEGER = 2**53


@dataclass(frozen=True)
class Kind:
    """A JSON type: a test, and how messages name it."""

    test: Callable[[object], bool]
    words: str


def list_of(kind: Kind, plural: str) -> Kind:
    """A JSON array whose every item is `kind`."""
    return Kind(lambda value: type(value) is list and all(kind.test(item) for item in value), f"a list of {plural}")


def nullable(kind: Kind) -> Kind:
    """`kind` or null."""
    return Kind(lambda value: value is None or kind.test(value), f"null or {kind.words}")


INTEGER = Kind(lambda value: type(value) is int, "an integer")
COUNT = Kind(lambda value: type(value) is int and value >= 0, "an integer >= 0")
NUMBER = Kind(lambda value: type(value) is float or (type(value) is int and abs(value) <= _LARGEST_EXACT_INTEGER),
              "a number")
STRING = Kind(lambda value: type(value) is str, "a string")
BOOLEAN = Kind(lambda value: type(value) is bool, "true or false")
OBJECT = Kind(lambda value: type(value) is dict, "an object")
SHA256 = Kind(lambda value: type(value) is str and re.fullmatch("[0-9a-f]{64}", value) is not None,
              "64 lowercase hexadecimal digits")
FLOAT32 = Kind(lambda value: value == "float32", '"float32"')
SOURCE = Kind(lambda value: type(value) is list and len(value) == 2 and STRING.test(value[0])
              and INTEGER.test(value[1]), "a [measurement, index] pair")
NUMBERS = nullable(list_of(NUMBER, "numbers"))
STRINGS = list_of(STRING, "strings")

Fields = Mapping[str, tuple[Kind, bool]]
"""name: (kind, required)."""

METADATA_FIELDS: Fields = {
    "network": (OBJECT, True),
    "n_coefficients": (COUNT, True),
    "profile": (OBJECT, True),
    "control_period": (NUMBER, True),
    "provenance": (nullable(OBJECT), False),
    "tensors": (OBJECT, True),
    "sha256": (SHA256, True),
    "metadata_sha256": (SHA256, False),
}
"""Top-level fields besides `format` and `schema_version` (checked first, by the loader). Unknown top-level fields
are allowed, so that files of a newer hebbkit that only add fields stay readable."""

NETWORK_FIELDS: Fields = {
    "layer_sizes": (list_of(INTEGER, "integers"), True),
    "activations": (STRINGS, True),
    "rule": (STRING, True),
    "init": (OBJECT, True),
    "normalize_weights": (BOOLEAN, True),
    "weight_norm": (STRING, False),
    "action_head": (nullable(STRINGS), False),
    "frontend": (nullable(OBJECT), False),
    "family": (STRING, False),
}
INIT_FIELDS: Fields = {"distribution": (STRING, True), "scale": (NUMBER, True)}
FRONTEND_FIELDS: Fields = {"input_shape": (list_of(INTEGER, "integers"), True),
                           "layers": (list_of(OBJECT, "objects"), True)}
CONV_LAYER_FIELDS: Fields = {
    "in_channels": (INTEGER, True),
    "out_channels": (INTEGER, True),
    "kernel": (INTEGER, True),
    "stride": (INTEGER, False),
    "activation": (STRING, False),
    "pool": (INTEGER, False),
}
PROFILE_FIELDS: Fields = {
    "name": (STRING, True),
    "observation_names": (STRINGS, True),
    "action_names": (STRINGS, True),
    "action_mode": (STRING, False),
    "action_low": (NUMBERS, False),
    "action_high": (NUMBERS, False),
    "action_scale": (NUMBERS, False),
    "action_offset": (NUMBERS, False),
    "joint_names": (STRINGS, False),
    "observation_sources": (nullable(list_of(SOURCE, "[measurement, index] pairs")), False),
    "observation_scale": (NUMBERS, False),
    "observation_offset": (NUMBERS, False),
    "observation_clip": (nullable(NUMBER), False),
    "foot_names": (STRINGS, False),
}
TENSOR_FIELDS: Fields = {"shape": (list_of(COUNT, "integers >= 0"), True), "dtype": (FLOAT32, True)}


def check_fields(data: object, fields: Fields, where: str, closed: bool = False) -> None:
    """Raise `ArtifactSchemaError` unless `data` is a JSON object whose fields have their kinds (`where`: the
    object's path in the metadata, for messages; `closed`: unknown fields are refused too)."""
    if type(data) is not dict:
        raise ArtifactSchemaError(f"field {where or 'root'} should be an object, found {_show(data)}")
    prefix = f"{where}." if where else ""
    for name, (kind, required) in fields.items():
        if name not in data:
            if required:
                raise ArtifactSchemaError(f"field {prefix}{name} is missing")
            continue
        if not kind.test(data[name]):
            found = _show(data[name])
            raise ArtifactSchemaError(f"field {prefix}{name} should be {kind.words}, found {found}")
    unknown = sorted(set(data) - set(fields))
    if closed and unknown:
        raise ArtifactSchemaError(f"field {where} has unknown fields {unknown[:5]}; expected {list(fields)}")


def check_metadata(metadata: Mapping) -> None:
    """Check the JSON kind of every field the loader reads (`format` and `schema_version` are checked before)."""
    check_fields(metadata, METADATA_FIELDS, "")
    network = metadata["network"]
    check_fields(network, NETWORK_FIELDS, "network")
    check_fields(network["init"], INIT_FIELDS, "network.init")
    frontend = network.get("frontend")
    if frontend is not None:
        check_fields(frontend, FRONTEND_FIELDS, "network.frontend")
        for index, layer in enumerate(frontend["layers"]):
            check_fields(layer, CONV_LAYER_FIELDS, f"network.frontend.layers[{index}]", closed=True)
    check_fields(metadata["profile"], PROFILE_FIELDS, "profile")
    for name, info in metadata["tensors"].items():
        check_fields(info, TENSOR_FIELDS, f"tensors[{name!r}]")


def declared_tensors(metadata: Mapping) -> dict[str, tuple[int, ...]]:
    """The tensors the metadata declares, name: shape (call `check_metadata` first)."""
    return {name: tuple(info["shape"]) for name, info in metadata["tensors"].items()}


def _show(value: object) -> str:
    """A short description of a found value for a one-line message."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"
