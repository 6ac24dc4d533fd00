"""The errors and the warning of training and of the files of a run."""


class TrainingError(RuntimeError):
    """Training cannot start, or cannot go on: the message says why and what to change."""


class CheckpointError(RuntimeError):
    """A file of a run (``checkpoint.pt``, ``model.pt``) cannot be loaded safely; the message
    names the file."""


class CheckpointWarning(UserWarning):
    """A run resumes from an earlier checkpoint than its latest, which could not be loaded."""
