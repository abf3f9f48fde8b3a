"""The exceptions a user can act on. The command line turns them into a one-line message and exit code 2.

A library message names a setting the user should change as `$name`, its Python name (`$encoding`,
`$chunk_size`), never as a flag: each interface words it its own way, the command line as the flag
(`--encoding`), the Python API as the keyword (`encoding`)."""
from __future__ import annotations

import re
from typing import Mapping

SETTING = re.compile(r"\$([a-z][a-z0-9_]*)")


class UserError(Exception):
    """Bad input or a missing resource the user can fix; the message says what to do."""

    exit_code = 2

    def worded(self, names: Mapping[str, str]) -> str:
        """The message with each `$setting` of `names` given its name there; any other `$word` (in a path or
        an id the message quotes, say) is left as it is."""
        return SETTING.sub(lambda m: names.get(m.group(1), m.group(0)), super().__str__())

    def __str__(self) -> str:
        """Python's wording: every `$setting` as its bare keyword."""
        return SETTING.sub(lambda m: m.group(1), super().__str__())


class ReportError(UserError):
    """A problem with one report of a batch; `index` is its position in the batch, so the caller can
    name the input row."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index
        self.message = message
