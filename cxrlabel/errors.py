"""The one exception type the command line turns into a one-line message and exit code 2."""


class UserError(Exception):
    """Bad input or a missing resource the user can fix; the message says what to do."""

    exit_code = 2
