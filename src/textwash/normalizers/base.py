"""The normalizer protocol and base class.

A normalizer is a small, immutable object: its configuration lives in its
constructor (a frozen dataclass, so ``repr`` shows it), and it is applied by
calling it on a string.  Its one real method is :meth:`Normalizer.edits`, which
returns the :class:`~textwash.edits.Edit` list that turns its input into its
output; calling the normalizer applies those edits.  That is what lets a
pipeline explain every change and map cleaned offsets back to the raw text.

Writing your own takes a few lines::

    from dataclasses import dataclass
    import regex
    from textwash import Normalizer, sub_edits

    @dataclass(frozen=True, repr=False)
    class DropUrls(Normalizer):
        pattern: str = r"https?://\\S+"
        def edits(self, text):
            return sub_edits(regex.compile(self.pattern), text, "")

A plain ``str -> str`` function works in a pipeline too (see
:class:`FunctionStep`); its edits are then recovered by diffing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

from ..edits import Edit, apply_edits, chain_edits, diff_edits, is_canonical, merge_edits

__all__ = ["Flag", "FunctionStep", "Normalizer", "Step"]


@dataclass(frozen=True, slots=True)
class Flag:
    """Something a step noticed but did not (or could not) repair.

    ``start``/``end`` index the text the step was given.
    """

    kind: str
    start: int
    end: int
    message: str


@runtime_checkable
class Step(Protocol):
    """Anything a :class:`~textwash.Pipeline` can run: ``text -> text`` plus ``edits``."""

    def __call__(self, text: str) -> str: ...

    def edits(self, text: str) -> list[Edit]: ...


@dataclass(frozen=True, repr=False)
class Normalizer:
    """Base class for textwash normalizers.

    Subclasses are ``@dataclass(frozen=True, repr=False)`` classes (``repr=False``
    keeps this class's short ``repr``, which lists only non-default options) and
    implement :meth:`edits`.  They must be idempotent (``n(n(x)) == n(x)``) and
    leave clean text unchanged.
    """

    #: Names of this normalizer that a pipeline TOML file may use, besides the class name.
    aliases: ClassVar[tuple[str, ...]] = ()

    @property
    def name(self) -> str:
        """The step name used in explanations and configs (the class name)."""
        return type(self).__name__

    def _passes(self) -> list[Callable[[str], list[Edit]]] | None:
        """Optional: the step as passes, each run on the previous one's output.

        A subclass that defines them gets :meth:`edits` (the passes' edits
        composed) and a fast ``__call__`` (the passes applied in turn) for free.
        """
        return None

    def edits(self, text: str) -> list[Edit]:
        """Return the sorted, non-overlapping edits this step makes to ``text``."""
        passes = self._passes()
        if passes is None:
            raise NotImplementedError(f"{self.name} must define edits() or _passes()")
        return chain_edits(text, *passes)

    def flags(self, text: str) -> list[Flag]:
        """Return problems noticed in ``text`` that this step leaves alone."""
        return []

    def may_edit(self, text: str) -> bool:
        """A cheap precheck: ``False`` only when this step has nothing to do on ``text``.

        ``False`` promises ``edits(text) == []`` and ``flags(text) == []``, so a
        :class:`~textwash.Pipeline` skips the step (and its edit machinery);
        ``True`` promises nothing.  The default is ``True``: a step that does
        not know better is always run.  A built-in step answers from the
        characters its rules need, read from its own options, so the answer
        stays right whatever they are.

        A subclass that defines any method of its own but not ``may_edit`` gets
        this default back, since its parent's precheck cannot speak for it:

        >>> from textwash.normalizers import Width
        >>> Width().may_edit("已经很干净了。"), Width().may_edit("ＡＰＰ")
        (False, True)
        >>> class Loud(Width):
        ...     def edits(self, text):
        ...         return [Edit(0, len(text), text.upper())] if text.islower() else []
        >>> Loud().may_edit("already clean")
        True
        """
        return True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "may_edit" not in vars(cls) and any(
            callable(v) or isinstance(v, (property, classmethod, staticmethod))
            for v in vars(cls).values()
        ):
            cls.may_edit = Normalizer.may_edit  # type: ignore[method-assign]

    def __call__(self, text: str) -> str:
        fast = self._fast(text)
        return fast if fast is not None else apply_edits(text, self.edits(text))

    def _fast(self, text: str) -> str | None:
        """Optional shortcut for ``__call__`` when no offsets are needed.

        A subclass may return the cleaned text directly (or ``None`` to use
        :meth:`edits`); it must equal ``apply_edits(text, self.edits(text))``,
        which the property tests check for every normalizer.
        """
        passes = self._passes()
        if passes is None:
            return None
        for p in passes:
            edits = p(text)
            if not is_canonical(edits):
                edits = merge_edits(edits)
            if edits:
                text = apply_edits(text, edits)
        return text

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.to_config().items() if k != "name")
        return f"{self.name}({opts})"

    def to_config(self) -> dict[str, Any]:
        """The step as a plain dict: ``{"name": ..., **non-default fields}``."""
        out: dict[str, Any] = {"name": self.name}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            default = (
                f.default
                if f.default is not dataclasses.MISSING
                else (
                    f.default_factory()
                    if f.default_factory is not dataclasses.MISSING
                    else dataclasses.MISSING
                )
            )
            if value != default:
                out[f.name] = list(value) if isinstance(value, tuple) else value
        return out


class FunctionStep:
    """Wrap a plain ``str -> str`` callable so it can sit in a pipeline.

    Its edits are recovered by diffing input and output, so offsets stay exact
    where the function changes little, and coarser where it rewrites a lot.

    >>> step = FunctionStep(str.strip)
    >>> step("  社会  ")
    '社会'
    >>> step.edits("  社会  ")
    [Edit(start=0, end=2, new=''), Edit(start=4, end=6, new='')]
    """

    def __init__(self, fn: Any, name: str | None = None) -> None:
        if not callable(fn):
            raise TypeError(f"a pipeline step must be callable, got {fn!r}")
        self.fn = fn
        self.name = name or getattr(fn, "__qualname__", None) or type(fn).__name__

    def __call__(self, text: str) -> str:
        out = self.fn(text)
        if not isinstance(out, str):
            raise TypeError(f"step {self.name} returned {type(out).__name__}, not str")
        return out

    def edits(self, text: str) -> list[Edit]:
        return diff_edits(text, self(text))

    def flags(self, text: str) -> list[Flag]:
        return []

    def to_config(self) -> dict[str, Any]:
        module = getattr(self.fn, "__module__", None)
        qual = getattr(self.fn, "__qualname__", None)
        if not module or not qual or "<" in qual:
            raise ValueError(f"step {self.name} is not importable and cannot be saved to a config")
        return {"name": f"{module}:{qual}"}

    def __repr__(self) -> str:
        return f"FunctionStep({self.name})"
