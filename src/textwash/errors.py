"""The exception a pipeline raises when one of its steps fails on a text.

A step may fail on input its author did not foresee (a bug, a malformed edit
list, a user's function raising).  The pipeline never lets such a failure
escape as a bare ``ValueError`` from deep inside: it raises a
:class:`CleaningError` that names the step, where in the text it was working,
and what went wrong, so the command line can report it in one line and go on
with the other documents.

>>> str(CleaningError("OcrSpacing", "edits overlap", position=1))
'step OcrSpacing failed at character 1: edits overlap'
>>> str(CleaningError("strip", "boom"))
'step strip failed: boom'
"""

from __future__ import annotations

__all__ = ["CleaningError"]


class CleaningError(Exception):
    """A pipeline step raised or returned an invalid edit list.

    Attributes:
        step: the step's name (``OcrSpacing``, or a function's qualified name).
        message: what went wrong, as a short phrase (the cause's own message).
        position: 0-based character offset in the pipeline's raw input where
            the failure was located, or ``None`` when it cannot be told.

    The original exception is kept as ``__cause__``.
    """

    def __init__(self, step: str, message: str, *, position: int | None = None) -> None:
        self.step = step
        self.message = message
        self.position = position
        super().__init__(str(self))

    def __str__(self) -> str:
        where = "" if self.position is None else f" at character {self.position}"
        return f"step {self.step} failed{where}: {self.message}"

    def __reduce__(self) -> tuple[object, ...]:
        # keyword-only arguments need help to survive pickling (worker processes)
        return (_rebuild, (self.step, self.message, self.position))


def _rebuild(step: str, message: str, position: int | None) -> CleaningError:
    return CleaningError(step, message, position=position)
