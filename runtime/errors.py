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


class ExportError(ConfigError):
    """An artifact cannot be exported as asked: a value the target cannot hold (C: a coefficient that folds to
    Inf, a control period under a microsecond) or a model the target cannot run."""


class HebbkitWarning(UserWarning):
    """Base class of the warnings hebbkit issues: something works but deserves attention."""


class MissingChecksumWarning(HebbkitWarning):
    """An artifact has no `metadata_sha256` (written before hebbkit recorded one): edits of its metadata within the
    field bounds go undetected. Loading and saving it again adds the checksum."""


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


class RobotFileError(ConfigError):
    """A robot description file cannot be used: not TOML, a missing or ill-typed key, a joint, link or model that
    is not there, limits inverted. The message names the file and what is wrong."""
