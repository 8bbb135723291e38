"""`Pipeline`: an ordered list of normalizers, with explanations and offsets.

>>> from textwash.normalizers import OcrSpacing, Punctuation
>>> p = Pipeline([OcrSpacing(), Punctuation()])
>>> p("社 会 、实 现 目 标,是 我 们 的 任 务")
'社会、实现目标，是我们的任务'
>>> p
Pipeline([
    OcrSpacing(),
    Punctuation(),
])

Text that is already clean costs little: before a step runs, its precheck
(:meth:`~textwash.Normalizer.may_edit`) may prove that it has nothing to do,
and the step is skipped with its edit machinery; the protected regions are not
looked for where no kind can start.  The result is the same either way, and
:func:`prechecks` (or ``TEXTWASH_PRECHECKS=0`` in the environment) switches
the shortcut off to show it.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, overload

from .config import ConfigError, dumps_toml, load_config
from .edits import (
    ChainMap,
    Edit,
    OffsetMap,
    apply_edits,
    compose_edits,
    is_canonical,
    merge_edits,
)
from .errors import CleaningError
from .normalizers.base import FunctionStep, Step
from .protect import Protect, Region, keep_out, mask, shift_regions

__all__ = [
    "CleaningError",
    "ConfigError",
    "Pipeline",
    "RunResult",
    "StepEdit",
    "StepFlag",
    "check_text",
    "prechecks",
    "step_edits",
]

# Whether runs skip the steps whose precheck says they have nothing to do.
_prechecks = os.environ.get("TEXTWASH_PRECHECKS", "1") != "0"


@contextmanager
def prechecks(enabled: bool) -> Iterator[None]:
    """Skip steps on their prechecks (the default), or run every step, in a ``with`` block.

    The results are the same either way; switched off, every step runs and
    every protected kind is looked for, which is how the tests show it.

    >>> from textwash.normalizers import Punctuation
    >>> p = Pipeline([Punctuation()])
    >>> with prechecks(False):
    ...     slow = p.run("已经很干净了。")
    >>> slow.step_counts == p.run("已经很干净了。").step_counts == [("Punctuation", 0)]
    True
    """
    global _prechecks
    before = _prechecks
    _prechecks = enabled
    try:
        yield
    finally:
        _prechecks = before


@dataclass(frozen=True, slots=True)
class StepEdit:
    """One change made by one step, for :meth:`Pipeline.explain`.

    ``start``/``end`` index the text *that step was given*; ``source_start`` and
    ``source_end`` index the raw input of the whole pipeline.
    """

    step: str
    index: int
    start: int
    end: int
    old: str
    new: str
    source_start: int
    source_end: int


@dataclass(frozen=True, slots=True)
class StepFlag:
    """A :class:`~textwash.normalizers.base.Flag` raised by a step, located in the raw input."""

    step: str
    kind: str
    message: str
    source_start: int
    source_end: int


@dataclass
class RunResult:
    """The outcome of :meth:`Pipeline.run`: cleaned text plus provenance.

    :meth:`to_source` maps a span of ``text`` back to the span of ``source`` it
    came from; ``edits`` turns ``source`` into ``text`` in one go (composed from
    ``step_edits`` the first time it is asked for).
    """

    source: str
    text: str
    step_edits: list[list[Edit]]
    flags: list[StepFlag] = field(default_factory=list)
    #: ``(step name, number of edits it made)`` for every step, in order.
    step_counts: list[tuple[str, int]] = field(default_factory=list)
    #: The regions of ``source`` no step was allowed to edit (see :mod:`textwash.protect`).
    protected: list[Region] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.offsets = ChainMap([OffsetMap("", e) for e in self.step_edits if e])
        self._edits: list[Edit] | None = None

    @property
    def edits(self) -> list[Edit]:
        """The composed edits from ``source`` to ``text``."""
        if self._edits is None:
            total: list[Edit] = []
            text = self.source
            for edits in self.step_edits:
                if edits:
                    total = compose_edits(self.source, total, edits)
                    text = apply_edits(text, edits)
            self._edits = total
        return self._edits

    def to_source(self, start: int, end: int) -> tuple[int, int]:
        """Raw-input span ``(start, end)`` that produced ``text[start:end]``."""
        return self.offsets.to_source(start, end)


def as_step(obj: Any) -> Step:
    """Accept a normalizer, any object with ``edits``, or a plain ``str -> str`` callable."""
    if hasattr(obj, "edits") and callable(obj):
        return obj
    return FunctionStep(obj)


def _step_name(step: Any) -> str:
    name = getattr(step, "name", None)
    return name if type(name) is str and name else str(name or type(step).__name__)


def check_text(text: object, who: str) -> None:
    """Raise a :class:`TypeError` naming the type when ``text`` is not a ``str``.

    >>> check_text(1.5, "clean()")
    Traceback (most recent call last):
    ...
    TypeError: clean() takes a str, got float
    """
    if not isinstance(text, str):
        raise TypeError(f"{who} takes a str, got {type(text).__name__}")


def _failure(step: Any, exc: BaseException, position: int | None = None) -> CleaningError:
    if isinstance(exc, CleaningError):
        return exc
    message = str(exc)
    message = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    pos = getattr(exc, "position", None) if position is None else position
    return CleaningError(_step_name(step), message, position=pos if isinstance(pos, int) else None)


def may_edit(step: Any, text: str) -> bool:
    """Whether ``step`` may have something to do on ``text``, by its precheck.

    ``False`` only from a step's own ``may_edit`` (which then promises no edit
    and no flag); a step without one, or whose precheck fails, may.

    >>> from textwash.normalizers import Width
    >>> may_edit(Width(), "干净"), may_edit(Width(), "ＡＰＰ"), may_edit(str.strip, "干净")
    (False, True, True)
    """
    check = getattr(step, "may_edit", None)
    if check is None:
        return True
    try:
        return bool(check(text))
    except Exception:  # the step itself will say what is wrong, and where
        return True


def step_edits(step: Any, text: str) -> list[Edit]:
    """The edits ``step`` makes to ``text``: checked, and merged where they overlap harmlessly.

    Whatever goes wrong inside the step (an exception, or an edit list that is
    neither sorted nor mergeable) becomes a :class:`CleaningError` naming the
    step, with ``position`` in ``text`` where it is known.

    >>> from textwash.normalizers import OcrSpacing
    >>> step_edits(OcrSpacing(), "％\u3000货比三家多花点心思了。")
    [Edit(start=1, end=2, new='')]
    >>> step_edits(FunctionStep(lambda t: t[9]), "x")
    Traceback (most recent call last):
    ...
    textwash.errors.CleaningError: step <lambda> failed: IndexError: string index out of range
    """
    try:
        edits = step.edits(text)
        if not is_canonical(edits):
            edits = merge_edits(edits)
    except Exception as exc:
        raise _failure(step, exc) from exc
    return edits


def guarded_edits(
    step: Any, text: str, regions: Sequence[Region], *, seen: str | None = None
) -> list[Edit]:
    """:func:`step_edits` for a step that must stay out of the protected ``regions``.

    The step sees ``text`` with every protected character masked (so it cannot
    read code or a URL as prose), and any edit that would still change a region
    is dropped (see :func:`textwash.protect.keep_out`).  ``seen``, when given,
    is ``text`` already masked.

    >>> from textwash.normalizers import Punctuation
    >>> from textwash.protect import find_protected
    >>> t = "用`f(a,b)`计算,结果"
    >>> guarded_edits(Punctuation(), t, find_protected(t))
    [Edit(start=11, end=12, new='，')]
    """
    if not regions:
        return step_edits(step, text)
    masked = mask(text, regions) if seen is None else seen
    return keep_out(text, step_edits(step, masked), regions)


class Pipeline:
    """An ordered, immutable sequence of normalizers applied one after another.

    Build one from normalizer objects (and plain callables), call it on a string,
    slice it, or add pipelines together.  :meth:`run` also returns the offset map
    and flags, :meth:`explain` lists every edit of every step, and
    :meth:`to_config`/:meth:`from_config` round-trip it through TOML.
    """

    def __init__(self, steps: Sequence[Any], protect: Protect | None = None) -> None:
        self.steps: tuple[Step, ...] = tuple(as_step(s) for s in steps)
        #: Which regions no step may edit (code, URLs, tables...): all kinds by default.
        self.protect: Protect = Protect() if protect is None else protect

    # -- sequence behaviour ------------------------------------------------
    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    @overload
    def __getitem__(self, i: int) -> Step: ...
    @overload
    def __getitem__(self, i: slice) -> Pipeline: ...
    def __getitem__(self, i: int | slice) -> Step | Pipeline:
        if isinstance(i, slice):
            return Pipeline(self.steps[i], self.protect)
        return self.steps[i]

    def __add__(self, other: Pipeline | Sequence[Any]) -> Pipeline:
        return Pipeline([*self.steps, *other], self.protect)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Pipeline)
            and self.steps == other.steps
            and self.protect == other.protect
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        inner = "".join(f"    {s!r},\n" for s in self.steps)
        tail = "" if self.protect == Protect() else f", protect={self.protect!r}"
        return f"Pipeline([\n{inner}]{tail})"

    # -- running -------------------------------------------------------------
    def __call__(self, text: str) -> str:
        """Clean ``text``; a failing step raises :class:`CleaningError`.

        >>> Pipeline([str.strip])(None)
        Traceback (most recent call last):
        ...
        TypeError: Pipeline() takes a str, got NoneType
        """
        check_text(text, "Pipeline()")
        regions = self._regions(text)
        if regions:  # the steps must see the protected regions masked
            return self._run(text, regions).text
        source = text
        skip = _prechecks
        for step in self.steps:
            if skip and not may_edit(step, text):
                continue
            try:
                text = step(text)
            except Exception as exc:
                raise self._locate(source, step, exc) from exc
        return text

    def _locate(self, source: str, step: Any, exc: Exception) -> CleaningError:
        """The error for ``step`` failing on ``source``, placed in ``source`` if :meth:`run` can."""
        try:
            self.run(source)
        except CleaningError as located:
            if located.step == _step_name(step):
                return located
        except Exception:  # pragma: no cover - run fails differently: keep the first story
            pass
        err = _failure(step, exc)
        return CleaningError(err.step, err.message)  # where in the raw input is unknown

    def run(self, text: str) -> RunResult:
        """Clean ``text`` and keep every step's edits, the offset map and the flags."""
        check_text(text, "Pipeline.run()")
        return self._run(text, self._regions(text))

    def _regions(self, text: str) -> list[Region]:
        return self.protect(text, precheck=_prechecks)

    def _run(self, text: str, regions: list[Region]) -> RunResult:
        source = text
        per_step: list[list[Edit]] = []
        maps: list[OffsetMap] = []
        flags: list[StepFlag] = []
        counts: list[tuple[str, int]] = []
        protected = regions
        # What the steps see.  No kept edit touches a masked character, so the
        # same edits keep it the masked form of ``text``: mask once, not per step.
        seen = mask(text, regions)
        skip = _prechecks
        for step in self.steps:
            if skip and not may_edit(step, seen):  # no edit and no flag: nothing else to record
                counts.append((_step_name(step), 0))
                per_step.append([])
                continue
            try:
                step_flags = step.flags(seen) if hasattr(step, "flags") else []
                edits = guarded_edits(step, text, regions, seen=seen)
            except Exception as exc:
                err = _failure(step, exc)
                if err.position is not None:
                    pos = ChainMap(maps).to_source(err.position, err.position)[0]
                    err = CleaningError(err.step, err.message, position=pos)
                raise err from exc
            counts.append((_step_name(step), len(edits)))
            if step_flags:
                back = ChainMap(maps)
                for f in step_flags:
                    s, e = back.to_source(f.start, f.end)
                    flags.append(StepFlag(_step_name(step), f.kind, f.message, s, e))
            per_step.append(edits)
            if edits:
                maps.append(OffsetMap("", edits))
                text = apply_edits(text, edits)
                if regions:
                    seen = apply_edits(seen, edits)
                    regions = shift_regions(regions, edits)
                else:
                    seen = text
        return RunResult(
            source=source,
            text=text,
            step_edits=per_step,
            flags=flags,
            step_counts=counts,
            protected=protected,
        )

    def explain(self, text: str) -> list[StepEdit]:
        """Every edit each step made, in order, with its span in raw coordinates too.

        The protected regions come first, as entries whose ``step`` is
        ``protect:KIND`` and whose ``index`` is -1 (``old == new``: unchanged).

        >>> from textwash.normalizers import Punctuation
        >>> [(e.step, e.old, e.new) for e in Pipeline([Punctuation()]).explain("好,的`a,b`")]
        [('protect:inline_code', '`a,b`', '`a,b`'), ('Punctuation', ',', '，')]
        """
        source = text
        total: list[Edit] = []
        check_text(text, "Pipeline.explain()")
        regions = self.protect(text)
        out = [
            StepEdit(f"protect:{r.kind}", -1, r.start, r.end, r.text, r.text, r.start, r.end)
            for r in regions
        ]
        for i, step in enumerate(self.steps):
            try:
                edits = guarded_edits(step, text, regions)
            except CleaningError as err:
                if err.position is not None:
                    pos = OffsetMap(source, total).to_source(err.position, err.position)[0]
                    err = CleaningError(err.step, err.message, position=pos)
                raise err from err.__cause__
            if not edits:
                continue
            current = OffsetMap(source, total)
            for e in edits:
                s, t = current.to_source(e.start, e.end)
                out.append(
                    StepEdit(
                        _step_name(step), i, e.start, e.end, text[e.start : e.end], e.new, s, t
                    )
                )
            total = compose_edits(source, total, edits)
            text = apply_edits(text, edits)
            regions = shift_regions(regions, edits)
        return out

    # -- configuration -----------------------------------------------------
    def to_config(self) -> dict[str, Any]:
        """``{"steps": [{"name": ..., option: value, ...}, ...]}``, plus ``"protect"``
        when the protected kinds are not the default (all of them).

        A built-in normalizer is saved by its name; any other step by where it
        can be imported from, ``"module:Qualname"``: a normalizer class of your
        own (with its options), a function, a builtin such as ``str.strip``.
        A step that cannot be imported back (a lambda, a function or class
        defined inside a function or in ``__main__``) raises a
        :class:`ValueError` that says what to do.

        >>> Pipeline([str.strip]).to_config()
        {'steps': [{'name': 'builtins:str.strip'}]}
        >>> Pipeline([lambda t: t]).to_config()
        Traceback (most recent call last):
        ...
        ValueError: step <lambda> cannot be saved to a config: a lambda has no name to ...
        """
        steps = [step_config(s) for s in self.steps]
        out: dict[str, Any] = {"steps": steps}
        if self.protect != Protect():
            out["protect"] = self.protect.to_config()
        return out

    def to_toml(self) -> str:
        """The pipeline as a TOML document that :meth:`from_config` reads back."""
        return dumps_toml(self.to_config())

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | str | os.PathLike[str]) -> Pipeline:
        """Build a pipeline from a dict, a TOML file path, or a TOML string.

        The TOML form is a list of ``[[steps]]`` tables, each with a ``name``
        (a built-in normalizer name or ``"package.module:Class"``) and the
        constructor options; ``preset = "zh"`` alone loads a preset.
        """
        cfg, where = load_config(config)
        return cls._from_dict(cfg, where)

    @classmethod
    def _from_dict(cls, cfg: Mapping[str, Any], where: str) -> Pipeline:
        from .preset_steps import preset_steps

        protect = _build_protect(cfg.get("protect"), where)
        if "preset" in cfg:
            if "steps" in cfg:
                raise ConfigError(f"{where}: give either 'preset' or 'steps', not both")
            try:
                preset = preset_steps(str(cfg["preset"]))
            except ValueError as exc:
                raise ConfigError(f"{where}: {exc}") from None
            return cls(preset, protect)
        steps_cfg = cfg.get("steps")
        if not isinstance(steps_cfg, list) or not steps_cfg:
            raise ConfigError(f"{where}: expected a non-empty list of [[steps]] tables")
        steps = []
        for i, sc in enumerate(steps_cfg, 1):
            if not isinstance(sc, Mapping) or "name" not in sc:
                raise ConfigError(f"{where}: step {i} needs a 'name'")
            opts = {k: v for k, v in sc.items() if k != "name"}
            steps.append(_build_step(str(sc["name"]), opts, f"{where}: step {i}"))
        return cls(steps, protect)


def step_config(step: Any) -> dict[str, Any]:
    """How one step is saved in a config (see :meth:`Pipeline.to_config`).

    >>> from textwash.normalizers import OcrSpacing
    >>> step_config(OcrSpacing(min_han=15)), step_config(as_step(len))
    ({'name': 'OcrSpacing', 'min_han': 15}, {'name': 'builtins:len'})
    """
    from .normalizers import NORMALIZERS, FunctionStep

    name = _step_name(step)
    if isinstance(step, FunctionStep):
        return {"name": _import_path(step.fn, name)}
    if not hasattr(step, "to_config"):
        raise ValueError(
            f"step {name} cannot be saved to a config: it has no to_config(); write it as a "
            "Normalizer subclass (textwash.Normalizer) in an importable module"
        )
    config = dict(step.to_config())
    if NORMALIZERS.get(str(config.get("name"))) is not type(step):  # not a built-in
        config["name"] = _import_path(type(step), name)
    return config


def _import_path(obj: Any, name: str) -> str:
    """``"module:Qualname"`` that imports ``obj`` back, or a ValueError saying what to do."""
    owner = getattr(obj, "__objclass__", None)  # str.strip and other method descriptors
    module = getattr(obj, "__module__", None) or getattr(owner, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    problem = None
    if qualname is None:
        problem = f"a {type(obj).__name__} object has no name to import it by"
    elif qualname == "<lambda>":
        problem = "a lambda has no name to import it by"
    elif "<locals>" in qualname:
        problem = f"{qualname} is defined inside a function"
    elif module in (None, "__main__"):
        problem = f"{qualname} is defined in a script (__main__), which another run cannot import"
    else:
        found: Any = sys.modules.get(module)
        for part in qualname.split("."):
            found = getattr(found, part, None)
        if found is not obj and found != obj:
            problem = f"{module}:{qualname} does not import it back"
    if problem is not None:
        what = "class" if isinstance(obj, type) else "function (with def)"
        raise ValueError(
            f"step {name} cannot be saved to a config: {problem}; define the {what} at the "
            "top level of a module Python can import (a Normalizer subclass for a step with "
            "options) and use that, or build this pipeline in code instead of saving it"
        )
    return f"{module}:{qualname}"


def _build_protect(cfg: Any, where: str) -> Protect | None:
    if cfg is None:
        return None
    if not isinstance(cfg, Mapping) or set(cfg) - {"kinds"}:
        raise ConfigError(f"{where}: [protect] takes one key, 'kinds' (a list of kinds)")
    kinds = cfg.get("kinds", [])
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        raise ConfigError(f"{where}: [protect] kinds must be a list of strings")
    try:
        return Protect(kinds=tuple(kinds))
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _build_step(name: str, opts: dict[str, Any], where: str) -> Step:
    from .normalizers import NORMALIZERS

    if ":" in name:
        module_name, _, attr = name.partition(":")
        try:
            obj: Any = importlib.import_module(module_name)
            for part in attr.split("."):
                obj = getattr(obj, part)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"{where}: cannot import {name!r} ({exc})") from None
    else:
        obj = NORMALIZERS.get(name)
        if obj is None:
            known = ", ".join(sorted(NORMALIZERS))
            raise ConfigError(f"{where}: unknown normalizer {name!r} (known: {known})")
    if isinstance(obj, type):
        try:
            obj = obj(**{k: tuple(v) if isinstance(v, list) else v for k, v in opts.items()})
        except TypeError as exc:
            raise ConfigError(f"{where}: bad options for {name}: {exc}") from None
    elif opts:
        raise ConfigError(f"{where}: {name} is a function and takes no options")
    return as_step(obj)
