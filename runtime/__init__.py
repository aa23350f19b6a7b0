"""hebbkit.runtime: the Hebbian rule maths, the plastic network, the policy artifact and its backends.

Imports NumPy only; the ONNX backend imports onnxruntime (and onnx) when it is first used.
"""

from .artifact import (
    SCHEMA_VERSION,
    PolicyArtifact,
    load_artifact,
    new_artifact,
    read_metadata,
    save_artifact,
    tensor_checksum,
    with_provenance,
)
from .errors import (
    ArtifactChecksumError,
    ArtifactCorruptError,
    ArtifactError,
    ArtifactNotFoundError,
    ArtifactSchemaError,
    ArtifactShapeError,
    ArtifactTooLargeError,
    ArtifactValueError,
    BackendUnavailableError,
    ConfigError,
    DependencyError,
    HebbkitError,
    ObservationError,
    OutputPathError,
    WeightsError,
)
from .families import DEFAULT_FAMILY, FAMILIES, RuleFamily, get_family
from .network import NetworkSpec, WeightInit, reference_step
from .policy import Policy, PolicyStats, load_policy
from .profile import (
    ANT28,
    BUILTIN_PROFILES,
    ObservationAssembler,
    RobotProfile,
    ant28_profile,
    generic_profile,
    proprio_profile,
)
from .rules import DEFAULT_RULE, RULES, Rule, fold_coefficients, get_rule, hebbian_update

__all__ = [
    "ANT28",
    "BUILTIN_PROFILES",
    "DEFAULT_FAMILY",
    "DEFAULT_RULE",
    "FAMILIES",
    "RULES",
    "SCHEMA_VERSION",
    "ArtifactChecksumError",
    "ArtifactCorruptError",
    "ArtifactError",
    "ArtifactNotFoundError",
    "ArtifactSchemaError",
    "ArtifactShapeError",
    "ArtifactTooLargeError",
    "ArtifactValueError",
    "BackendUnavailableError",
    "ConfigError",
    "DependencyError",
    "HebbkitError",
    "NetworkSpec",
    "ObservationAssembler",
    "ObservationError",
    "OutputPathError",
    "Policy",
    "PolicyArtifact",
    "PolicyStats",
    "RobotProfile",
    "Rule",
    "RuleFamily",
    "WeightInit",
    "WeightsError",
    "ant28_profile",
    "fold_coefficients",
    "generic_profile",
    "get_family",
    "get_rule",
    "hebbian_update",
    "load_artifact",
    "load_policy",
    "new_artifact",
    "proprio_profile",
    "read_metadata",
    "reference_step",
    "save_artifact",
    "tensor_checksum",
    "with_provenance",
]
