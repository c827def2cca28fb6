"""Errors that speak to the user: what was wrong, where, and what to do next."""


class SynthRecordsError(ValueError):
    """A problem with the user's input or configuration.

    The message names the column, row, file or option at fault and says what to do.
    The CLI prints it without a traceback and exits with status 2.
    """


class NotFittedError(SynthRecordsError):
    """`sample`/`save` was called on a Synthesizer that has not been fitted or loaded."""
