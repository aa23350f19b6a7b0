"""`hebbkit export ARTIFACT --c DIR`: a policy artifact as C99 source that a firmware build embeds.

DIR receives `hebb_model.h` and `hebb_model.c` (the network's sizes, activations and flags; the folded coefficients
as `const float` arrays, which a linker places in flash; the init distribution; the robot profile: joint order and
limits, action limits and scaling, the observation layout with its sources, scales, offsets and clip; the artifact's
sha256) and copies of the kernel (`hebb_kernel.{c,h}`) and its generator (`hebb_rng.{c,h}`), so the folder compiles
on its own with a `main.c` of one's own, or into objects for a firmware (`c_build_lines`).

What reaches C from the artifact is data only: every name (profile, joints, actions, observations) is a string
literal in which anything but letters, digits, space and safe punctuation is an octal escape (so no quote, backslash,
trigraph `??/` or control byte survives as itself), no metadata is written into comments, and every number is a
finite float32 literal or a checked integer; a coefficient that folds to Inf, or a control period that rounds to
0 us, is refused with an `ExportError` before anything is written.

On the board, `hebb_model_init(&model, seed)` draws the initial weights from PCG32 (`hebbkit.runtime.pcg32`), the
generator `Policy(..., init_rng="pcg32")` uses on the host: the same seed starts both from identical weights.
`hebb_model_step` runs one control step (act, then learn) and returns the action; `hebb_model_observe` builds the
observation from raw measurements and `hebb_model_command` turns an action into physical joint commands, as
`ObservationAssembler` and `RobotProfile.command_from_action` do on the host (in float32, not float64).
"""

from __future__ import annotations

import math
import string
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .artifact import METADATA_CHECKSUM_KEY, PolicyArtifact
from .backends.c_backend import USE_B, USE_C, USE_D, kernel_flags
from .errors import ConfigError, ExportError
from .network import MAX_SYNAPSES
from .outputs import check_output_folder, write_files
from .pcg32 import PCG32_DISTRIBUTIONS, init_bound
from .profile import MEASUREMENTS
from .rules import fold_coefficients

KERNEL_DIR = Path(__file__).resolve().parent / "kernel"
KERNEL_FILES = ("hebb_kernel.c", "hebb_kernel.h", "hebb_rng.c", "hebb_rng.h")
ACTIVATION_CODES = {"tanh": 0, "identity": 1, "sigmoid": 2, "relu": 3}
HEAD_CODES = {"identity": 0, "tanh": 1, "sigmoid": 2}
VALUES_PER_LINE = 8
C_STRING_VERBATIM = frozenset((string.ascii_letters + string.digits + " !#$%&'()*+,-./:;<=>@[]^_`{|}~").encode())
"""Bytes a C string literal holds as themselves; every other byte (", \\, ?, controls, non-ASCII) is escaped."""
C_COMMENT_CHARACTERS = frozenset(string.ascii_letters + string.digits + " ,.:;()[]_-=+`'")
"""Characters a generated comment may hold: no `*/`, no newline, nothing taken from the artifact's metadata."""


def c_float(value: float) -> str:
    """A C float literal that reads back as exactly this float32 (9 significant digits). Raises `ExportError` for
    a value that is not finite as a float32 (C99 has no literal for Inf or NaN)."""
    with np.errstate(over="ignore"):
        single = np.float32(value)
    if not np.isfinite(single):
        raise ExportError(f"{float(value)!r} is not a finite float32; C has no literal for it")
    text = format(float(single), ".9g")
    if not any(mark in text for mark in ".e"):
        text += ".0"
    return text + "f"


def c_string(text: str) -> str:
    """A C string literal holding exactly the UTF-8 bytes of `text`: letters, digits, space and most punctuation as
    themselves, every other byte as a three-digit octal escape (`\\042` for a quote, `\\077` for `?`, so no
    trigraph forms). Raises `ExportError` for NUL, which would end the C string early, and unpaired surrogates."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ExportError(f"name {ascii(text)[:80]} is not valid Unicode text ({error.reason})") from None
    if b"\0" in data:
        raise ExportError(f"name {ascii(text)[:80]} holds a NUL character, which would end a C string early")
    return '"' + "".join(chr(byte) if byte in C_STRING_VERBATIM else f"\\{byte:03o}" for byte in data) + '"'


def c_comment(text: str) -> str:
    """`/* text */` for text the exporter writes itself; refuses anything that could end the comment early."""
    if not set(text) <= C_COMMENT_CHARACTERS:
        raise ExportError(f"refusing to write {ascii(text)[:80]} into a C comment")
    return f"/* {text} */"


def float_array(name: str, values: Sequence[float] | np.ndarray, comment: str = "") -> str:
    flat = np.asarray(values, dtype=np.float32).reshape(-1)
    if flat.size == 0:
        return f"const float {name}[1] = {{0.0f}}; /* empty */\n"
    lines = [", ".join(c_float(v) for v in flat[start:start + VALUES_PER_LINE])
             for start in range(0, flat.size, VALUES_PER_LINE)]
    head = c_comment(comment) + "\n" if comment else ""
    return head + f"const float {name}[{flat.size}] = {{\n    " + ",\n    ".join(lines) + "\n};\n"


def int_array(ctype: str, name: str, values: Sequence[int]) -> str:
    items = list(values) or [0]
    return f"const {ctype} {name}[{len(items)}] = {{" + ", ".join(str(int(v)) for v in items) + "};\n"


def string_array(name: str, values: Sequence[str]) -> str:
    items = [c_string(v) for v in values] or ['""']
    return f"const char *const {name}[{len(items)}] = {{\n    " + ",\n    ".join(items) + "\n};\n"


def control_period_us(period: float) -> int:
    """The control period in whole microseconds, as the board's timer takes it; `ExportError` if it rounds to 0 or
    past what a uint32 holds."""
    microseconds = round(period * 1e6) if math.isfinite(period) else 0
    if not 1 <= microseconds <= 0xFFFFFFFF:
        raise ExportError(f"control_period {period!r} s is {microseconds} us as the board's uint32 timer counts it; "
                          f"the C export needs at least 1 us (and at most {0xFFFFFFFF:,})")
    return microseconds


def check_folded(layer: int, role: str, values: np.ndarray) -> None:
    """Raise `ExportError` if folding eta into a coefficient overflowed float32 (e.g. eta = A = 3e38)."""
    bad = int(values.size - np.count_nonzero(np.isfinite(values)))
    if bad:
        raise ExportError(f"layer {layer}: {bad} folded coefficients {role} (eta x coefficient) overflow float32 to "
                          "Inf; the rule cannot run in float32 on a board: refusing to export it")


def export_c(artifact: PolicyArtifact, folder: str | Path) -> list[Path]:
    """Write the artifact as C99 (`hebb_model.h`, `hebb_model.c`) plus the kernel sources into `folder`, all files
    or none (`write_files`); returns the written paths. Raises `ConfigError` for what the kernel cannot run (a
    convolutional front end, or a normal init, which would need the same libm on board and host) and `ExportError`
    for values C cannot hold (see the module docstring), in both cases before `folder` is created or written, and
    `OutputPathError` when `folder` is a file or cannot be written."""
    folder = check_output_folder(Path(folder), "the C export's folder")
    return write_files({folder / name: data for name, data in c_export_files(artifact).items()})


def c_export_files(artifact: PolicyArtifact) -> dict[str, bytes]:
    """The C export's files by name (`export_c`), built in memory."""
    spec, profile = artifact.network, artifact.profile
    if spec.frontend is not None:
        raise ConfigError("the C export runs the plastic layers only; this artifact has a convolutional front end "
                          "(CarRacing), which the kernel does not implement: use the host's backend='c' instead")
    distribution = spec.init.distribution
    if distribution not in (*PCG32_DISTRIBUTIONS, "stored"):
        raise ConfigError(f"the board draws its initial weights from PCG32 for {PCG32_DISTRIBUTIONS} (or copies "
                          f"stored ones); this artifact's init is {distribution!r}")
    unknown = sorted(set(spec.activations) - set(ACTIVATION_CODES))
    if unknown:
        raise ConfigError(f"the C kernel knows activations {sorted(ACTIVATION_CODES)}, not {unknown}")
    rule = spec.rule_spec
    learns = rule.n_coefficients > 0
    flags = kernel_flags(spec)
    shapes = spec.layer_shapes
    n_weights = sum(n_in * n_out for n_in, n_out in shapes)
    if n_weights > MAX_SYNAPSES:  # NetworkSpec already refuses this; the int32 offsets below rely on it
        raise ConfigError(f"{n_weights:,} weights exceed {MAX_SYNAPSES:,}")
    n_post = sum(n_out for _, n_out in shapes)
    max_width = max(spec.layer_sizes[1:])
    n_inputs, n_actions = spec.layer_sizes[0], spec.layer_sizes[-1]
    sha = artifact.sha256()
    metadata_sha = str(artifact.metadata()[METADATA_CHECKSUM_KEY])
    sources = profile.observation_sources
    n_joints = len(profile.joint_names)

    header = [
        c_comment("Generated by `hebbkit export --c` from a policy artifact: do not edit. The model's identity "
                  "(rule, profile, checksums) is in the HEBB_MODEL_ macros below."),
        "#ifndef HEBB_MODEL_H\n#define HEBB_MODEL_H\n",
        "#include <stdint.h>\n\n#include \"hebb_kernel.h\"\n#include \"hebb_rng.h\"\n",
        f"#define HEBB_MODEL_SHA256 {c_string(sha)}",
        f"#define HEBB_MODEL_METADATA_SHA256 {c_string(metadata_sha)}",
        f"#define HEBB_MODEL_RULE {c_string(spec.rule)}",
        f"#define HEBB_MODEL_FAMILY {c_string(spec.family)}",
        f"#define HEBB_MODEL_WEIGHT_NORM {c_string(spec.weight_norm)} /* none, max or standardize */",
        f"#define HEBB_MODEL_PROFILE {c_string(profile.name)}",
        f"#define HEBB_MODEL_ACTION_MODE {c_string(profile.action_mode)}",
        f"#define HEBB_MODEL_N_LAYERS {spec.n_layers}",
        f"#define HEBB_MODEL_N_INPUTS {n_inputs}",
        f"#define HEBB_MODEL_N_ACTIONS {n_actions}",
        f"#define HEBB_MODEL_N_WEIGHTS {n_weights}",
        f"#define HEBB_MODEL_N_POST {n_post}",
        f"#define HEBB_MODEL_MAX_WIDTH {max_width}",
        f"#define HEBB_MODEL_FLAGS {flags}u",
        f"#define HEBB_MODEL_N_COEFFICIENTS {spec.n_coefficients} /* evolved; the arrays below hold them folded */",
        f"#define HEBB_MODEL_CONTROL_PERIOD_S {c_float(artifact.control_period)}",
        f"#define HEBB_MODEL_CONTROL_PERIOD_US {control_period_us(artifact.control_period)}u",
        f"#define HEBB_MODEL_INIT_DISTRIBUTION {c_string(distribution)}",
        f"#define HEBB_MODEL_INIT_SCALE {c_float(spec.init.scale)}",
        f"#define HEBB_MODEL_INIT_STORED {1 if distribution == 'stored' else 0}",
        f"#define HEBB_MODEL_HAS_ACTION_HEAD {0 if spec.action_head is None else 1}",
        f"#define HEBB_MODEL_N_JOINTS {n_joints}",
        f"#define HEBB_MODEL_HAS_JOINT_LIMITS {0 if profile.joint_limits is None else 1}",
        f"#define HEBB_MODEL_HAS_ACTION_LIMITS {0 if profile.action_low is None else 1}",
        f"#define HEBB_MODEL_HAS_OBSERVATION_SOURCES {0 if sources is None else 1}",
        f"#define HEBB_MODEL_OBSERVATION_CLIP "
        f"{c_float(profile.observation_clip) if profile.observation_clip is not None else '0.0f /* none */'}",
        f"#define HEBB_MODEL_HAS_OBSERVATION_CLIP {0 if profile.observation_clip is None else 1}",
        "",
        "/* raw measurements (hebbkit.runtime.profile's table), the index of `measurements` in hebb_model_observe */",
        "enum hebb_measurement {",
        *[f"    HEBB_MEASURE_{name.upper()} = {index}," for index, name in enumerate(MEASUREMENTS)],
        f"    HEBB_N_MEASUREMENTS = {len(MEASUREMENTS)}",
        "};",
        "",
        "/* The model's RAM: plastic weights, activations, the action and the kernel's scratch. */",
        "typedef struct {",
        "    hebb_network network;",
        "    hebb_layer layers[HEBB_MODEL_N_LAYERS];",
        "    float weights[HEBB_MODEL_N_WEIGHTS];   /* layer by layer, each [in][out] row-major */",
        "    float post[HEBB_MODEL_N_POST];",
        "    float action[HEBB_MODEL_N_ACTIONS];",
        "    double scratch[HEBB_MODEL_MAX_WIDTH];",
        "} hebb_model;",
        "",
        "extern const int32_t hebb_model_layer_sizes[HEBB_MODEL_N_LAYERS + 1];",
        "extern const int32_t hebb_model_activations[HEBB_MODEL_N_LAYERS];  /* enum hebb_activation */",
        "extern const float hebb_model_init_bound[HEBB_MODEL_N_LAYERS];     /* half-width of U(-b, b) per layer */",
        "extern const int32_t hebb_model_action_head[HEBB_MODEL_N_ACTIONS]; /* 0 identity, 1 tanh, 2 sigmoid */",
        "extern const char *const hebb_model_joint_names[];",
        "extern const float hebb_model_joint_lower[];                      /* rad, joint order */",
        "extern const float hebb_model_joint_upper[];",
        "extern const char *const hebb_model_action_names[HEBB_MODEL_N_ACTIONS];",
        "extern const float hebb_model_action_low[HEBB_MODEL_N_ACTIONS];",
        "extern const float hebb_model_action_high[HEBB_MODEL_N_ACTIONS];",
        "extern const float hebb_model_action_scale[HEBB_MODEL_N_ACTIONS];",
        "extern const float hebb_model_action_offset[HEBB_MODEL_N_ACTIONS];",
        "extern const char *const hebb_model_observation_names[HEBB_MODEL_N_INPUTS];",
        "extern const uint8_t hebb_model_observation_source[HEBB_MODEL_N_INPUTS]; /* enum hebb_measurement */",
        "extern const uint16_t hebb_model_observation_index[HEBB_MODEL_N_INPUTS];",
        "extern const float hebb_model_observation_scale[HEBB_MODEL_N_INPUTS];",
        "extern const float hebb_model_observation_offset[HEBB_MODEL_N_INPUTS];",
        "extern const uint32_t hebb_model_struct_bytes; /* sizeof(hebb_model), for foreign callers */",
        "",
        "/* Wire the model's pointers and draw the initial weights from PCG32 seeded with `seed`. */",
        "void hebb_model_init(hebb_model *model, uint64_t seed);",
        "/* Fresh initial weights (an episode start, a guard reset): PCG32 from `seed`, or the stored ones. */",
        "void hebb_model_reset(hebb_model *model, uint64_t seed);",
        "/* One control step on `observation` [HEBB_MODEL_N_INPUTS]: act, then learn when `plastic`; the action. */",
        "const float *hebb_model_step(hebb_model *model, const float *observation, int plastic);",
        "/* The observation from raw measurements (indexed by enum hebb_measurement, SI units); 0, or -1 when the",
        " * profile names no sources. */",
        "int hebb_model_observe(const float *const *measurements, float *observation);",
        "/* Physical command per action entry: offset + scale * clip(action, low, high). */",
        "void hebb_model_command(const float *action, float *command);",
        "/* 1 when every weight is finite, else 0 (the guard: reset the weights when it says 0). */",
        "int hebb_model_weights_finite(const hebb_model *model);",
        "float *hebb_model_weights(hebb_model *model);",
        "",
        "#endif",
        "",
    ]

    source = [c_comment("Generated by `hebbkit export --c`: do not edit."),
              '#include "hebb_model.h"\n\n#include <math.h>\n#include <stddef.h>\n',
              "const uint32_t hebb_model_struct_bytes = (uint32_t)sizeof(hebb_model);",
              int_array("int32_t", "hebb_model_layer_sizes", spec.layer_sizes),
              int_array("int32_t", "hebb_model_activations", [ACTIVATION_CODES[a] for a in spec.activations]),
              float_array("hebb_model_init_bound", [
                  0.0 if distribution == "stored" else float(init_bound(distribution, spec.init.scale, n_in, n_out))
                  for n_in, n_out in shapes]),
              int_array("int32_t", "hebb_model_action_head",
                        [0] * n_actions if spec.action_head is None else [HEAD_CODES[h] for h in spec.action_head]),
              string_array("hebb_model_joint_names", profile.joint_names),
              float_array("hebb_model_joint_lower", [lo for lo, _ in profile.joint_limits or ()]),
              float_array("hebb_model_joint_upper", [hi for _, hi in profile.joint_limits or ()]),
              string_array("hebb_model_action_names", profile.action_names),
              float_array("hebb_model_action_low", profile.action_low or [-3.0e38] * n_actions),
              float_array("hebb_model_action_high", profile.action_high or [3.0e38] * n_actions),
              float_array("hebb_model_action_scale", profile.action_scale or [1.0] * n_actions),
              float_array("hebb_model_action_offset", profile.action_offset or [0.0] * n_actions),
              string_array("hebb_model_observation_names", profile.observation_names),
              int_array("uint8_t", "hebb_model_observation_source",
                        [MEASUREMENTS.index(key) if key in MEASUREMENTS else 255 for key, _ in sources or ()]
                        or [0] * n_inputs),
              int_array("uint16_t", "hebb_model_observation_index", [index for _, index in sources or ()]
                        or [0] * n_inputs),
              float_array("hebb_model_observation_scale", profile.observation_scale or [1.0] * n_inputs),
              float_array("hebb_model_observation_offset", profile.observation_offset or [0.0] * n_inputs)]

    layer_lines = []
    for layer, ((n_in, n_out), coefficients) in enumerate(zip(shapes, artifact.expanded_coefficients, strict=True)):
        names = {}
        if learns:
            with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused just below
                folded = fold_coefficients(rule, coefficients)
            for role, used in (("a", True), ("b", bool(flags & USE_B)), ("c", bool(flags & USE_C)),
                               ("d", bool(flags & USE_D))):
                if used:
                    check_folded(layer, role, getattr(folded, role))
                    names[role] = f"hebb_model_{role}{layer}"
                    source.append(float_array(names[role], getattr(folded, role),
                                              f"layer {layer}: folded {role}, [{n_in}][{n_out}] (flash)"))
        if distribution == "stored":
            stored = artifact.static_tensors[f"initial_weights/{layer}"]
            source.append(float_array(f"hebb_model_initial{layer}", stored, f"layer {layer}: stored initial weights"))
        pointers = " ".join(f"model->layers[{layer}].{role} = {names.get(role, 'NULL')};" for role in "abcd")
        layer_lines.append(f"    {pointers}")
    stored_copy = "".join(
        f"    for (int32_t k = 0; k < {n_in * n_out}; ++k) w[k] = hebb_model_initial{layer}[k];\n"
        f"    w += {n_in * n_out};\n" for layer, (n_in, n_out) in enumerate(shapes))
    source.append(f"""
void hebb_model_reset(hebb_model *model, uint64_t seed) {{
    float *w = model->weights;
#if HEBB_MODEL_INIT_STORED
    (void)seed;
{stored_copy}#else
    hebb_pcg32 rng;
    hebb_pcg32_seed(&rng, seed);
    for (int32_t l = 0; l < HEBB_MODEL_N_LAYERS; ++l) {{
        const int32_t count = hebb_model_layer_sizes[l] * hebb_model_layer_sizes[l + 1];
        hebb_pcg32_fill(&rng, w, count, hebb_model_init_bound[l]);
        w += count;
    }}
#endif
}}

void hebb_model_init(hebb_model *model, uint64_t seed) {{
    float *w = model->weights, *post = model->post;
    for (int32_t l = 0; l < HEBB_MODEL_N_LAYERS; ++l) {{
        hebb_layer *layer = &model->layers[l];
        layer->n_in = hebb_model_layer_sizes[l];
        layer->n_out = hebb_model_layer_sizes[l + 1];
        layer->activation = hebb_model_activations[l];
        layer->weights = w;
        layer->post = post;
        w += layer->n_in * layer->n_out;
        post += layer->n_out;
    }}
{chr(10).join(layer_lines)}
    model->network.n_layers = HEBB_MODEL_N_LAYERS;
    model->network.flags = HEBB_MODEL_FLAGS;
    model->network.layers = model->layers;
    model->network.scratch = model->scratch;
    for (int32_t j = 0; j < HEBB_MODEL_N_ACTIONS; ++j) model->action[j] = 0.0f;
    hebb_model_reset(model, seed);
}}

const float *hebb_model_step(hebb_model *model, const float *observation, int plastic) {{
    const float *output = hebb_step(&model->network, observation, plastic);
    for (int32_t j = 0; j < HEBB_MODEL_N_ACTIONS; ++j) {{
        const float value = output[j];
        switch (hebb_model_action_head[j]) {{
        case 1: model->action[j] = tanhf(value); break;
        case 2: model->action[j] = 1.0f / (1.0f + expf(-value)); break;
        default: model->action[j] = value; break;
        }}
    }}
    return model->action;
}}

int hebb_model_observe(const float *const *measurements, float *observation) {{
#if HEBB_MODEL_HAS_OBSERVATION_SOURCES
    for (int32_t i = 0; i < HEBB_MODEL_N_INPUTS; ++i) {{
        const float raw = measurements[hebb_model_observation_source[i]][hebb_model_observation_index[i]];
        float value = hebb_model_observation_scale[i] * raw + hebb_model_observation_offset[i];
#if HEBB_MODEL_HAS_OBSERVATION_CLIP
        if (value > HEBB_MODEL_OBSERVATION_CLIP) value = HEBB_MODEL_OBSERVATION_CLIP;
        if (value < -HEBB_MODEL_OBSERVATION_CLIP) value = -HEBB_MODEL_OBSERVATION_CLIP;
#endif
        observation[i] = value;
    }}
    return 0;
#else
    (void)measurements;
    (void)observation;
    return -1;
#endif
}}

void hebb_model_command(const float *action, float *command) {{
    for (int32_t j = 0; j < HEBB_MODEL_N_ACTIONS; ++j) {{
        float value = action[j];
        if (value > hebb_model_action_high[j]) value = hebb_model_action_high[j];
        if (value < hebb_model_action_low[j]) value = hebb_model_action_low[j];
        command[j] = hebb_model_action_offset[j] + hebb_model_action_scale[j] * value;
    }}
}}

int hebb_model_weights_finite(const hebb_model *model) {{
    for (int32_t k = 0; k < HEBB_MODEL_N_WEIGHTS; ++k) {{
        const float value = model->weights[k];
        if (value != value || value > 3.402823466e38f || value < -3.402823466e38f) return 0;
    }}
    return 1;
}}

float *hebb_model_weights(hebb_model *model) {{ return model->weights; }}
""")
    files = {"hebb_model.h": "\n".join(header).encode(), "hebb_model.c": "\n".join(source).encode()}
    files.update({name: (KERNEL_DIR / name).read_bytes() for name in KERNEL_FILES})
    return files


C_FLAGS = "-std=c99 -ffp-contract=off"
"""What the exported C needs: C99, and no fused multiply-adds (so its steps match the NumPy backend's)."""


def c_build_lines(folder: Path) -> list[str]:
    """How to build `hebbkit export --c`'s folder, which has no main: with one's own main.c (it includes
    hebb_model.h and calls hebb_model_init, hebb_model_step), or into objects to link into a firmware."""
    import shlex

    where = shlex.quote(str(folder))
    return [f"build with your own main.c (it includes hebb_model.h, calls hebb_model_init and hebb_model_step): "
            f"cc {C_FLAGS} -I {where} -o controller main.c {where}/*.c -lm",
            f"or compile to objects to link into a firmware: cc {C_FLAGS} -c {where}/*.c (the reference board: "
            f"make onboard MODEL_DIR={shlex.quote(str(folder.resolve()))} in firmware_bridge/firmware/board)"]
