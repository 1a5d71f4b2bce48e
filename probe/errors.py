"""The one user-facing error type of rigbench."""

from __future__ import annotations


class UserError(Exception):
    """A failure the user can fix: rendered as one line, a ``hint:`` line and exit status 1."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
