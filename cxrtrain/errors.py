"""Typed errors of the cxrtrain library, worded as cxrlabel's are (`cxrlabel.errors`).

A message names a setting as `$name`, its Python name (a `FitOptions` field or a keyword argument,
such as `$workers`), never as a flag: a Python caller reads the keyword (`workers`), and the command
line reads the flag the user typed (`--loader-workers`), each worded by `UserError.worded`.
"""
from __future__ import annotations

from typing import Mapping

from cxrlabel.errors import UserError


class OptionError(UserError):
    """A setting that cannot be used: `option` is its Python name, `value` what was given (None when it
    was not given), `problem` what is wrong with it."""

    def __init__(self, option: str, value: object, problem: str) -> None:
        self.option, self.value, self.problem = option, value, problem
        super().__init__(f"${option}: {problem}" if value is None else f"${option} {value}: {problem}")


def in_words(text: str, flags: Mapping[str, str] | None = None) -> str:
    """A library text (a log line, a warning) with each `$setting` named as its reader names it: the command line's
    flag from `flags`, or without them the bare setting name, as Python and a run's stored files name it."""
    message = UserError(text)
    return str(message) if flags is None else message.worded(flags)
