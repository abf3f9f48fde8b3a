"""The one exception type the command line turns into a one-line message and exit code 2."""


class UserError(Exception):
    """Bad input or a missing resource the user can fix; the message says what to do."""

    exit_code = 2


class ReportError(UserError):
    """A problem with one report of a batch; `index` is its position in the batch, so the caller can
    name the input row."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index
        self.message = message
