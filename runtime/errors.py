"""Typed exceptions of the runtime. Every message says what was expected and what was found."""

from __future__ import annotations


class HebbkitError(Exception):
    """Base class of every error hebbkit raises on purpose."""


class ConfigError(HebbkitError, ValueError):
    """A network, rule or policy option is invalid."""


class ArtifactError(HebbkitError, ValueError):
    """A policy artifact cannot be used; the subclass says why."""


class ArtifactNotFoundError(ArtifactError, FileNotFoundError):
    """The artifact path does not exist."""


class ArtifactCorruptError(ArtifactError):
    """The file is missing, truncated, not an npz archive, or its metadata is not valid JSON."""


class ArtifactChecksumError(ArtifactError):
    """A sha256 recorded in the metadata does not match the tensors or the metadata."""


class ArtifactSchemaError(ArtifactError):
    """Unknown format or schema version, or a missing, ill-typed or out-of-range metadata field."""


class ArtifactShapeError(ArtifactError):
    """A tensor's shape or dtype disagrees with the metadata."""


class ArtifactValueError(ArtifactError):
    """A tensor holds non-finite values, or the control period is out of range."""


class ArtifactTooLargeError(ArtifactCorruptError):
    """A member of the file is larger than its declaration or than the reader's limits (checked before reading)."""


class OutputPathError(HebbkitError, OSError):
    """A file cannot be written where asked: the path is a folder, or its folder cannot be created or written."""


class WeightsError(ConfigError):
    """Weights given to (`set_weights`) or drawn by (`reset`) a policy have the wrong shapes or hold NaN/Inf."""


class ObservationError(HebbkitError, ValueError):
    """An observation has the wrong shape or holds NaN/Inf."""


class DependencyError(HebbkitError, ImportError):
    """An optional package is not installed; the message names the `pip install` (extra) that adds it."""


class BackendUnavailableError(DependencyError):
    """The requested backend needs a package that is not installed."""
