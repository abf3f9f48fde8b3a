"""Typed errors of the cxrtrain library, worded as cxrlabel's are (`cxrlabel.errors`).

A message names a setting as `$name`, its Python name (a `FitOptions` field or a keyword argument,
such as `$workers`), never as a flag: a Python caller reads the keyword (`workers`), and the command
line reads the flag the user typed (`--loader-workers`), each worded by `UserError.worded`.
"""
from __future__ import annotations

from cxrlabel.errors import UserError


class OptionError(UserError):
    """A setting that cannot be used: `option` is its Python name, `value` what was given (None when it
    was not given), `problem` what is wrong with it."""

    def __init__(self, option: str, value: object, problem: str) -> None:
        self.option, self.value, self.problem = option, value, problem
        super().__init__(f"${option}: {problem}" if value is None else f"${option} {value}: {problem}")
