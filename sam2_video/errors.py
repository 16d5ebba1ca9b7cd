"""User-facing error types: one line, naming the file / id and the fix."""


class UserError(Exception):
    """An error caused by the user's input; scripts print it as one line and exit with status 2."""


class ConfigError(UserError, ValueError):
    """A bad or missing configuration value or override (also a ``ValueError``: what a bad value is)."""


class DatasetError(UserError):
    """Malformed dataset: bad COCO JSON, missing frames, inconsistent masks."""


class CheckpointError(UserError):
    """A checkpoint that is missing, corrupt, or does not match the chosen model variant."""


class TrainingDivergedError(UserError):
    """The loss became NaN / inf; the last good checkpoint is kept."""
