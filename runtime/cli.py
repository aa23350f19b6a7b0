"""Runtime-side `hebbkit` subcommands (new, inspect, export; bench lives in `bench`) and the dataclass-to-argparse
helper.

Every subcommand is one frozen dataclass: its fields are the options, `metadata["help"]` their help text,
`metadata["positional"]` marks positional arguments and `metadata["group"]` a nested config whose options are
read as flat flags of their own. These commands need NumPy only (export and the onnx backend
also need the `onnx` extra), so they work on a robot that installed the runtime alone.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import re
import sys
import types
import typing
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .artifact import METADATA_CHECKSUM_KEY, PolicyArtifact
from .errors import ConfigError, HebbkitWarning
from .families import FAMILIES
from .network import NetworkSpec, fan_in_uniform
from .profile import BUILTIN_PROFILES
from .rules import RULES


def option_fields(config_type: type) -> list[tuple[dataclasses.Field, Any]]:
    """The options of a config dataclass: (field, type hint) per field, where a field marked `metadata["group"]`
    (a nested config dataclass) is replaced by the group's own options. So a config can hold its parts as nested
    configs and still read flat flags (`--population`, not `--es-population`) and a flat config.json."""
    hints = typing.get_type_hints(config_type)
    options: list[tuple[dataclasses.Field, Any]] = []
    for item in dataclasses.fields(config_type):
        if item.metadata.get("group"):
            options.extend(option_fields(hints[item.name]))
        else:
            options.append((item, hints[item.name]))
    names = [item.name for item, _ in options]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise TypeError(f"{config_type.__name__}: options {repeated} appear in more than one group")
    return options


def add_config_arguments(parser: argparse.ArgumentParser, config_type: type, suppress_defaults: bool = False) -> None:
    """Add one argument per option of the dataclass `config_type` (`option_fields`). With `suppress_defaults`,
    flags not given are absent from the parsed namespace (so a preset can supply them)."""
    for item, hint in option_fields(config_type):
        help_text = item.metadata.get("help", "")
        has_default = item.default is not dataclasses.MISSING or item.default_factory is not dataclasses.MISSING
        default = item.default if item.default is not dataclasses.MISSING else (
            item.default_factory() if item.default_factory is not dataclasses.MISSING else None
        )
        kwargs: dict[str, Any] = {"help": help_text + (default_text(help_text, default) if has_default else "")}
        origin = typing.get_origin(hint)
        arguments = [a for a in typing.get_args(hint) if a is not type(None)]
        if origin in (typing.Union, types.UnionType) and len(arguments) == 1:
            hint, origin = arguments[0], typing.get_origin(arguments[0])
            if hint is Path or hint is str or hint is int or hint is float:
                kwargs["type"] = hint
        if hint is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        elif origin is tuple:
            kwargs["nargs"] = "+"
            kwargs["type"] = typing.get_args(hint)[0]
        else:
            kwargs["type"] = hint
        if kwargs.get("type") is Path:
            kwargs["type"] = path_argument
        if item.metadata.get("choices"):
            kwargs["choices"] = item.metadata["choices"]
        aliases = item.metadata.get("aliases", ())
        if aliases:
            kwargs["help"] += f" (formerly {', '.join(map(flag_name, aliases))})"
        if item.metadata.get("positional"):
            parser.add_argument(item.name, metavar=positional_metavar(item.name, kwargs.get("choices")), **kwargs)
        else:
            if has_default:
                kwargs["default"] = argparse.SUPPRESS if suppress_defaults else default
            else:
                kwargs["required"] = True
            parser.add_argument(flag_name(item.name), dest=item.name, **kwargs)
            add_deprecated_flags(parser, item.name, aliases, kwargs)


DEFAULT_IN_HELP = re.compile(r"\(default\b|\bdefault:")
"""A help text that already says what happens by default ("(default runs/...)", "default: the robot's")."""


def default_text(help_text: str, default: object) -> str:
    """The ` (default: ...)` that ends a flag's help: the default as one would type it (a tuple's entries separated
    by spaces: `128 64`); nothing when the help already says what the default does, or for no value (None, empty)."""
    if DEFAULT_IN_HELP.search(help_text) or default is None or default == "" or default == ():
        return ""
    shown = " ".join(map(str, default)) if isinstance(default, tuple | list) else str(default)
    return f" (default: {shown})".replace("%", "%%")  # argparse %-formats help texts


def positional_metavar(name: str, choices: object) -> str:
    """How usage lines name a positional argument: its choices (`{ping,monitor,stats}`), else its name in capitals."""
    if isinstance(choices, tuple | list) and choices:
        return "{" + ",".join(map(str, choices)) + "}"
    return name.upper()


def flag_name(name: str) -> str:
    """The flag of an option: `max_steps` -> `--max-steps`."""
    return "--" + name.replace("_", "-")


class DeprecatedFlag(argparse.Action):
    """An old spelling of a flag: stores its value as the flag does and prints a one-line warning on stderr that
    names the flag to use instead."""

    def __init__(self, option_strings: list[str], dest: str, canonical: str = "", **kwargs: Any) -> None:
        super().__init__(option_strings, dest, **kwargs)
        self.canonical = canonical

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        print(f"{parser.prog}: warning: {option_string} is deprecated, use {self.canonical}", file=sys.stderr)
        setattr(namespace, self.dest, values)


def add_deprecated_flags(parser: argparse.ArgumentParser, name: str, aliases: tuple[str, ...],
                         kwargs: dict[str, Any]) -> None:
    """Add the old spellings `aliases` of the option `name` (`metadata["aliases"]`): hidden from --help, they set
    the same option and warn (`DeprecatedFlag`)."""
    if not aliases:
        return
    if kwargs.get("action") is not None or kwargs.get("required"):
        raise TypeError(f"option {name}: aliases need a flag that takes a value and has a default")
    options = {key: kwargs[key] for key in ("type", "nargs", "choices") if key in kwargs}
    parser.add_argument(*map(flag_name, aliases), dest=name, action=DeprecatedFlag, canonical=flag_name(name),
                        default=argparse.SUPPRESS, help=argparse.SUPPRESS, **options)


def renamed_options(config_type: type, values: dict[str, Any]) -> dict[str, Any]:
    """`values` with options stored under an old name (`metadata["aliases"]`, e.g. an older run's config.json)
    renamed to the option's name; a value under the new name wins."""
    renamed = dict(values)
    for item, _ in option_fields(config_type):
        for alias in item.metadata.get("aliases", ()):
            if alias in renamed:
                value = renamed.pop(alias)
                renamed.setdefault(item.name, value)
    return renamed


def path_argument(text: str) -> Path:
    """A path flag's value: an empty one (`--c ""`) would mean the current folder; it is refused instead."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a path, got an empty one")
    return Path(text)


def build_config(config_type: type, values: dict[str, Any]) -> Any:
    """The frozen config from flat option values (lists become tuples; groups are built from their own options;
    options not given keep their defaults). An unknown option is a ConfigError."""
    unknown = sorted(set(values) - {item.name for item, _ in option_fields(config_type)})
    if unknown:
        raise ConfigError(f"unknown options {unknown} for {config_type.__name__}")
    return _build(config_type, values)


def _build(config_type: type, values: dict[str, Any]) -> Any:
    hints = typing.get_type_hints(config_type)
    arguments: dict[str, Any] = {}
    for item in dataclasses.fields(config_type):
        if item.metadata.get("group"):
            arguments[item.name] = _build(hints[item.name], values)
        elif item.name in values:
            value = values[item.name]
            arguments[item.name] = tuple(value) if isinstance(value, list) else value
    return config_type(**arguments)


def flat_options(config: Any) -> dict[str, Any]:
    """The options of a config as one flat dict, groups expanded in place (the inverse of `build_config`)."""
    values: dict[str, Any] = {}
    for item in dataclasses.fields(config):
        value = getattr(config, item.name)
        if item.metadata.get("group"):
            values.update(flat_options(value))
        else:
            values[item.name] = value
    return values


def config_from_args(config_type: type, namespace: argparse.Namespace) -> Any:
    """Build the frozen config from parsed arguments (lists become tuples)."""
    return build_config(config_type, {item.name: getattr(namespace, item.name)
                                      for item, _ in option_fields(config_type) if hasattr(namespace, item.name)})


# ---------------------------------------------------------------------------------------------------- new


@dataclass(frozen=True)
class NewConfig:
    """`hebbkit new`: write a freshly initialised (untrained) rule as a policy artifact."""

    output: Path = field(metadata={"positional": True, "help": "where to write the .npz artifact"})
    profile: str = field(default="ant28", metadata={"help": "robot profile: a built-in name, or 'generic'"})
    rule: str = field(default="ABCD_lr", metadata={"help": "Hebbian rule (its coefficients: docs/artifact.md)",
                                                   "choices": sorted(RULES)})
    family: str = field(default="synapse", metadata={"help": "rule family: which synapses share coefficients",
                                                     "choices": sorted(FAMILIES)})
    hidden: tuple[int, ...] = field(default=(128, 64), metadata={"help": "hidden layer sizes"})
    inputs: int = field(default=28, metadata={"help": "input size, for the 'generic' profile"})
    outputs: int = field(default=8, metadata={"help": "output size, for the 'generic' profile"})
    seed: int = field(default=0, metadata={"help": "seed of the N(0, 1) coefficients (rule static: of its weights)"})
    control_period: float | None = field(default=None, metadata={
        "help": "seconds per control step (default: the robot's, or 0.0165)"})
    robot: str | None = field(default=None, metadata={
        "help": "a built-in robot or a robot file (.toml): the profile of that robot (its default observation and "
                "actuation unless --observation, --actuation say otherwise) instead of --profile"})
    observation: str | None = field(default=None, metadata={"help": "with --robot: the observation layout"})
    actuation: str | None = field(default=None, metadata={"help": "with --robot: torque or position"})
    force: bool = field(default=False, metadata={"help": "overwrite OUTPUT if it exists"})

    def __post_init__(self) -> None:
        if self.seed < 0:
            raise ConfigError(f"--seed must be >= 0, got {self.seed}")
        if self.robot is None and (self.observation or self.actuation):
            raise ConfigError("--observation and --actuation choose a robot's profile: give --robot too")
        if self.robot is not None and self.profile != "ant28":
            raise ConfigError("give --robot or --profile, not both")
        if self.profile != "generic" and self.profile not in BUILTIN_PROFILES:
            raise ConfigError(f"unknown profile {self.profile!r}; expected 'generic' or one of "
                              f"{sorted(BUILTIN_PROFILES)}")


def run_new(config: NewConfig) -> int:
    """`hebbkit new`: refuse to overwrite OUTPUT without --force, build the untrained artifact, write it."""
    from . import save_artifact

    if config.output.exists() and not config.output.is_dir() and not config.force:
        raise ConfigError(f"{config.output} exists; pass --force to overwrite it")
    artifact = untrained_artifact(config)
    path = save_artifact(artifact, config.output)
    print(f"wrote {path}: {describe_untrained(artifact.network, config.seed)}")
    return 0


def untrained_artifact(config: NewConfig) -> PolicyArtifact:
    """The artifact `hebbkit new` writes: a rule's coefficients drawn N(0, 1), or for rule static its fixed
    weights (`static_weights`)."""
    from . import WeightInit, generic_profile, new_artifact

    control_period = config.control_period
    if config.robot is not None:
        from .robot_file import resolve_robot

        robot = resolve_robot(config.robot)
        profile = robot.profile(config.observation, config.actuation)
        control_period = control_period or robot.control_period
    elif config.profile == "generic":
        profile = generic_profile(config.inputs, config.outputs)
    else:
        profile = BUILTIN_PROFILES[config.profile]
    sizes = (profile.n_observations, *config.hidden, profile.n_actions)
    spec = NetworkSpec(layer_sizes=sizes, activations=("tanh",) * (len(sizes) - 1), rule=config.rule,
                       family=config.family)
    artifact = new_artifact(
        spec, profile=profile, control_period=control_period or 0.0165, seed=config.seed,
        provenance={"command": " ".join(["hebbkit", *sys.argv[1:]]) or "hebbkit new"},
    )
    if spec.rule_spec.n_coefficients:
        return artifact
    stored = dataclasses.replace(spec, init=WeightInit("stored"))
    artifact = dataclasses.replace(artifact, network=stored, static_tensors=static_weights(stored, config.seed))
    artifact.validate()
    return artifact


def static_weights(spec: NetworkSpec, seed: int) -> dict[str, np.ndarray]:
    """An untrained static network's fixed weights by tensor name: layer l drawn U(-1/sqrt(in_l), 1/sqrt(in_l)),
    PyTorch's nn.Linear default (where `hebbkit train --rule static --static-init fan-in-uniform` starts)."""
    rng = np.random.default_rng(seed)
    return {f"initial_weights/{layer}": fan_in_uniform(rng, (n_in, n_out), n_in).astype(np.float32)
            for layer, (n_in, n_out) in enumerate(spec.layer_shapes)}


def describe_untrained(spec: NetworkSpec, seed: int) -> str:
    """What `hebbkit new` wrote, for its report line."""
    sizes = "-".join(map(str, spec.layer_sizes))
    if not spec.rule_spec.n_coefficients:
        weights = sum(n_in * n_out for n_in, n_out in spec.layer_shapes)
        return (f"UNTRAINED static network on {sizes}: no rule, {weights:,} fixed weights stored, drawn "
                f"U(-1/sqrt(fan-in), +1/sqrt(fan-in)), seed {seed}")
    family = "" if spec.family == "synapse" else f" ({spec.family} family)"
    return (f"UNTRAINED rule {spec.rule}{family} on {sizes}, {spec.n_coefficients:,} coefficients ~ N(0, 1), "
            f"seed {seed}")


# ---------------------------------------------------------------------------------------------------- inspect


@dataclass(frozen=True)
class InspectConfig:
    """`hebbkit inspect`: print an artifact's metadata, sizes, checksum and validation result."""

    artifact: Path = field(metadata={"positional": True, "help": "a .npz policy artifact"})
    json: bool = field(default=False, metadata={"help": "print metadata and validation result as JSON"})


def run_inspect(config: InspectConfig) -> int:
    from .artifact import load_artifact, read_metadata
    from .errors import ArtifactError

    path = config.artifact
    try:
        metadata: dict | None = read_metadata(path)
    except ArtifactError as error:
        metadata = None
        read_error: ArtifactError | None = error
    else:
        read_error = None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", HebbkitWarning)
            artifact = load_artifact(path)
        valid, problem = True, None
    except ArtifactError as error:
        artifact, valid, problem = None, False, f"{type(error).__name__}: {error}"
    notes = [str(item.message) for item in caught if issubclass(item.category, HebbkitWarning)]
    if read_error is not None:
        problem = f"{type(read_error).__name__}: {read_error}"
    size = path.stat().st_size if path.is_file() else None
    if config.json:
        print(json.dumps({"path": str(path), "file_bytes": size, "valid": valid, "problem": problem,
                          "warnings": notes, "metadata": metadata}, indent=2))
        return 0 if valid else 1
    say(f"artifact     {path} ({size:,} bytes)" if size is not None else f"artifact     {path}")
    if metadata is not None:
        for line in describe_metadata(metadata):
            say(line)
    if artifact is not None:
        per_synapse = artifact.network.family == "synapse"
        for layer, (name, coefficients) in enumerate(artifact.coefficient_tensors().items()):
            if coefficients.size:  # a static-weight artifact has no Hebbian coefficients
                say(f"coefficients {f'layer {layer}' if per_synapse else name}: mean |c| "
                      f"{np.abs(coefficients).mean():.4g}, max |c| {np.abs(coefficients).max():.4g}")
        if not per_synapse:
            expanded = sum(c.size for c in artifact.expanded_coefficients)
            say(f"expanded     {expanded:,} per-synapse coefficients ([in, out, k] per layer), what the "
                  "backends run")
        for name, tensor in sorted(artifact.static_tensors.items()):
            if tensor.size:
                say(f"static       {name}: mean |w| {np.abs(tensor).mean():.4g}, max |w| {np.abs(tensor).max():.4g}")
    if valid:
        if metadata and METADATA_CHECKSUM_KEY in metadata:
            say("validation   OK (tensor and metadata checksums match, fields in range, shapes agree, all finite)")
        else:
            say("validation   OK (tensor checksum matches, fields in range, shapes agree, all finite; an older "
                  "file: its metadata has no checksum)")
    else:
        say(f"validation   FAILED: {problem}")
    for note in notes:
        say(f"warning      {note}")
    return 0 if valid else 1


def say(line: str) -> None:
    """Print one line of `hebbkit inspect`'s text report with its control characters escaped (`printable`)."""
    print(printable(line))


def printable(text: str) -> str:
    """`text` with every non-printable character (terminal escapes, newlines, bidi overrides) shown escaped,
    e.g. \\x1b: strings from a file cannot drive the terminal or fake report lines. JSON output escapes them
    itself."""
    return "".join(char if char.isprintable() else char.encode("unicode_escape").decode("ascii") for char in text)


def describe_weight_norm(network: dict) -> str:
    """What a network's metadata says happens to the weights after every update (never fails)."""
    mode = network.get("weight_norm")
    if mode is None:
        flag = network.get("normalize_weights")
        if type(flag) is not bool:
            return repr(flag)
        mode = "max" if flag else "none"
    return {"none": "none", "max": "max (each layer divided by its largest |w|)",
            "standardize": "standardize (each layer to zero mean, unit variance)"}.get(mode, repr(mode))


def describe_init(network: dict, untrained: bool = False) -> str:
    """Which initial weights a network's metadata says it starts from (never fails); `untrained`: written by
    `hebbkit new`, so stored weights are drawn, not evolved."""
    init = network.get("init")
    if not isinstance(init, dict):
        init = {}
    if init.get("distribution") == "stored":
        what = ("the static network's fixed weights" if network.get("rule") == "static"
                else "every episode and boot starts from them, then the rule adapts them")
        origin = "drawn once (untrained)" if untrained else "evolved"
        return f"{origin}, stored in the artifact (static/initial_weights/<l>): {what}"
    return f"random, drawn every episode and boot: {init.get('distribution')} scale {init.get('scale')}"


def shown(value: object) -> str:
    """A metadata value as inspect prints it: "-" for an absent one (None), a list of names joined by "/", a
    number or text as is, anything else as found (repr)."""
    if value is None:
        return "-"
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return "/".join(value)
    return str(value) if isinstance(value, str | int | float) else repr(value)


def describe_profile(profile: dict, network: dict) -> str:
    """The profile line's text: an image's shape for a pixel network (its front end's input), the observation count
    otherwise; a robot's actuation, or the action names of a profile without joints (a car's steer/gas/brake)."""
    names = profile.get("observation_names")
    frontend = network.get("frontend")
    shape = frontend.get("input_shape") if isinstance(frontend, dict) else None
    if isinstance(shape, list) and all(type(size) is int for size in shape):
        observed = f"a {'x'.join(map(str, shape))} image (channels x height x width)"
    else:
        observed = f"{len(names) if isinstance(names, list) else '?'} observations"
    actions = profile.get("action_names")
    count = len(actions) if isinstance(actions, list) else "?"
    if profile.get("joint_names"):
        acted = f"{count} actions ({shown(profile.get('action_mode'))})"
    elif isinstance(actions, list) and 0 < len(actions) <= 6:
        acted = f"{count} actions ({shown(actions)})"
    else:
        acted = f"{count} actions"
    return f"{profile.get('name')}: {observed}, {acted}"


def describe_metadata(metadata: dict) -> list[str]:
    """`hebbkit inspect`'s summary lines of raw metadata; never fails on malformed fields (it shows them)."""

    def section(value: object) -> dict:
        return value if isinstance(value, dict) else {}

    def count(value: object) -> str:
        return f"{value:,}" if type(value) is int else repr(value)

    network, profile = section(metadata.get("network")), section(metadata.get("profile"))
    provenance = section(metadata.get("provenance"))
    sizes = network.get("layer_sizes")
    head = network.get("action_head")
    lines = [
        f"format       {metadata.get('format')} schema v{metadata.get('schema_version')!r}",
        f"network      {'-'.join(map(str, sizes)) if isinstance(sizes, list) else repr(sizes)}, activations "
        f"{shown(network.get('activations'))}" + ("" if head is None else f", action head {shown(head)}"),
        f"rule         {network.get('rule')}, family {network.get('family', 'synapse')}, "
        f"{count(metadata.get('n_coefficients'))} coefficients, weight norm {describe_weight_norm(network)}",
        f"init         {describe_init(network, untrained=provenance.get('generations') == 0)}",
        f"profile      {describe_profile(profile, network)}",
        f"control      every {metadata.get('control_period')!r} s",
    ]
    for name, info in sorted(section(metadata.get("tensors")).items()):
        lines.append(f"tensor       {name}: {section(info).get('dtype')} {section(info).get('shape')}")
    lines.append(f"sha256       {metadata.get('sha256')} (tensors)")
    lines.append(f"             {metadata[METADATA_CHECKSUM_KEY]} (metadata)" if METADATA_CHECKSUM_KEY in metadata
                 else "             no metadata checksum (written before hebbkit recorded one)")
    for key, value in provenance.items():
        lines.append(f"provenance   {key}: {shown(value)}")
    return lines


# ---------------------------------------------------------------------------------------------------- export


@dataclass(frozen=True)
class ExportConfig:
    """`hebbkit export`: write the ONNX twin of one control step (checked and verified against NumPy) and/or the
    model as C99 source for a firmware build (`--c DIR`)."""

    artifact: Path = field(metadata={"positional": True, "help": "a .npz policy artifact"})
    onnx: Path | None = field(default=None, metadata={"help": "output .onnx file"})
    c: Path | None = field(default=None, metadata={
        "help": "output folder for C99 source (hebb_model.h/.c and the kernel) that a firmware build embeds"})
    verify_steps: int = field(default=200, metadata={"help": "steps to compare ONNX Runtime with NumPy (0: skip)"})
    seed: int = field(default=0, metadata={"help": "seed of the initial weights used to verify"})
    robot: str | None = field(default=None, metadata={
        "help": "a built-in robot or a robot file (.toml): refuse to export a model that does not fit it (another "
                "body, joints, actuation, or measurements the robot does not offer)"})

    def __post_init__(self) -> None:
        if self.onnx is None and self.c is None:
            raise ConfigError("hebbkit export needs --onnx FILE, --c DIR or both")
        if self.verify_steps < 0:
            raise ConfigError(f"--verify-steps must be >= 0 (0 skips verification), got {self.verify_steps}")
        if self.seed < 0:
            raise ConfigError(f"--seed must be >= 0, got {self.seed}")


def run_export(config: ExportConfig) -> int:
    """Build and check every output in memory first, then write them all or none (`outputs.write_files`)."""
    from .artifact import load_artifact
    from .outputs import check_output_file, check_output_folder, write_files

    folder = None if config.c is None else check_output_folder(config.c, "--c")
    onnx_path = None if config.onnx is None else check_output_file(config.onnx, "--onnx")
    artifact = load_artifact(config.artifact)
    if config.robot is not None:
        check_fits_robot(artifact.profile, config.robot)
    files: dict[Path, bytes] = {}
    if folder is not None:
        from .c_export import c_build_lines, c_export_files

        files.update({folder / name: data for name, data in c_export_files(artifact).items()})
    report = None
    if onnx_path is not None:
        from .onnx_graph import onnx_model_bytes

        files[onnx_path] = onnx_model_bytes(artifact)
        if config.verify_steps > 0:
            report = verify_onnx_file(files[onnx_path], artifact, config.verify_steps, config.seed)
    write_files(files)
    if folder is not None:
        spec = artifact.network
        print(f"wrote {len(files) - (onnx_path is not None)} files to {folder}: {spec.rule} on "
              f"{'-'.join(map(str, spec.layer_sizes))}, profile {artifact.profile.name}, sha256 "
              f"{artifact.sha256()[:16]}...")
        for line in c_build_lines(folder):
            print(line)
    if onnx_path is not None:
        print(f"wrote {onnx_path} ({len(files[onnx_path]):,} bytes): onnx.checker full check passed")
    if report is not None:
        print(f"verified {config.verify_steps} steps in onnxruntime against the NumPy backend: max |action "
              f"difference| {report['max_action_diff']:.2e}, max relative weight difference "
              f"{report['max_weight_rel_diff']:.2e} (one step from the same state each time)")
    return 0


def check_fits_robot(profile, robot: str) -> None:
    """RobotMismatchError unless a model of `profile` can drive the robot `robot` (a name or a robot file)."""
    from .robot_file import resolve_robot
    from .robot_match import RobotDescription, check_robot_match

    spec = resolve_robot(robot)
    check_robot_match(profile, RobotDescription(joint_names=spec.joint_names, action_mode=spec.actuation,
                                                measurements=spec.offers, robot=spec.name))


def verify_onnx_file(path: Path | bytes, artifact, steps: int, seed: int) -> dict:
    """Run the exported file (a path, or its bytes) in a plain onnxruntime session, one step at a time from the
    NumPy backend's state."""
    from .backends.onnx_backend import _import_onnxruntime
    from .bench import observation_stream
    from .onnx_graph import input_name, output_name
    from .policy import Policy

    model = path if isinstance(path, bytes) else str(path)
    session = _import_onnxruntime().InferenceSession(model, providers=["CPUExecutionProvider"])
    policy = Policy(artifact, "numpy", seed=seed)
    shape = artifact.network.observation_shape  # (n_inputs,), or an image's [C, H, W] for a conv front end
    observations = observation_stream(math.prod(shape), steps, seed).reshape(steps, *shape)
    expected_outputs = ["action"] + [output_name(i) for i in range(artifact.network.n_layers)]
    found_outputs = [o.name for o in session.get_outputs()]
    if found_outputs != expected_outputs:
        raise RuntimeError(f"the exported graph's outputs should be {expected_outputs}, found {found_outputs}")
    worst_action = worst_weight = 0.0
    for observation in observations:
        feeds = {"obs": observation[None, ...]}
        feeds.update({input_name(i): w for i, w in enumerate(policy.weights)})
        outputs = session.run(None, feeds)
        action = policy.step(observation)
        worst_action = max(worst_action, float(np.max(np.abs(outputs[0][0] - action))))
        for layer, expected in enumerate(policy.backend.weights):
            scale = max(float(np.max(np.abs(expected))), 1e-30)
            got = outputs[1 + layer]
            worst_weight = max(worst_weight, float(np.max(np.abs(got - expected))) / scale)
    return {"max_action_diff": worst_action, "max_weight_rel_diff": worst_weight}
