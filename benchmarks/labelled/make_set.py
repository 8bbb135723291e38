"""A labelled near-duplicate test set: original paragraphs, edited copies, hard negatives.

The originals (``originals.txt``) and distractors (``distractors.txt``) are
paragraphs written for this set, one per line.  :func:`build` makes 0–3 edited
copies of each original, each with one or two of :data:`EDIT_KINDS`, shuffles
originals, copies and distractors into a few "dump" documents (paragraphs
separated by blank lines) and records:

* where every paragraph sits (document index and character span), so a
  detector's output can be matched to paragraphs by span overlap;
* the ground truth: every unordered pair of paragraphs that are copies of the
  same original (the original with each copy, and the copies with each other);
* the edit kinds of every copy, so recall can be broken down by edit.

Everything is drawn from one seeded :class:`random.Random`: the same seed gives
the same set.

Usage::

    python benchmarks/labelled/make_set.py --seed 0 --out build/labelled

writes ``doc_00.txt`` … (the documents), ``paragraphs.json`` (id, role, group,
edits, span and text of every paragraph), ``truth.json`` (the duplicate pairs)
and ``set.json`` (all of it in one file).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ORIGINALS = HERE / "originals.txt"
DISTRACTORS = HERE / "distractors.txt"

#: Every kind of edit a copy can carry, in the order they are applied.
EDIT_KINDS: tuple[str, ...] = (
    "insert_sentence",
    "delete_sentence",
    "drop_function_words",
    "traditional",
    "ascii_punct",
    "ocr_spaces",
    "line_wraps",
)

#: Function characters that summarizing / "pseudo-original" rewrites drop.
FUNCTION_WORDS = frozenset("的了在是着地得之和与也")

#: Full-width punctuation and the ASCII it is flattened to.
ASCII_PUNCT = str.maketrans(
    {
        "，": ",",
        "：": ":",
        "（": "(",
        "）": ")",
        "“": '"',
        "”": '"',
        "；": ";",
        "！": "!",
        "？": "?",
    }
)

#: How many copies an original gets (0–3) and how many edit kinds a copy has (1–2).
COPY_WEIGHTS = {0: 2, 1: 4, 2: 3, 3: 2}
EDIT_COUNT_WEIGHTS = {1: 3, 2: 2}
#: Length range of an inserted sentence; it comes from a paragraph of 3+ sentences,
#: so no inserted sentence is a whole paragraph (or most of one) of the set.
DONOR_CHARS = (15, 60)

_SENTENCE = re.compile(r"[^。！？]*[。！？]+[”’」』）]*|[^。！？]+$")
_HAN = re.compile(r"[\u3400-\u9fff]")
_PLURAL = {"original": "originals", "copy": "copies", "distractor": "distractors"}


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of the set and where it sits.

    ``role`` is ``"original"``, ``"copy"`` or ``"distractor"``; ``group`` is the id
    of the original (an original's own id, a copy's source), ``None`` for distractors;
    ``edits`` are a copy's edit kinds (empty otherwise).  ``doc``, ``start`` and
    ``end`` locate ``text`` in :attr:`LabelledSet.docs`.
    """

    pid: str
    role: str
    group: str | None
    edits: tuple[str, ...]
    text: str
    doc: int = -1
    start: int = -1
    end: int = -1


@dataclass
class LabelledSet:
    """Documents, their paragraphs and the ground-truth duplicate pairs."""

    seed: int
    docs: list[str]
    paragraphs: dict[str, Paragraph]
    truth: frozenset[tuple[str, str]]
    _by_doc: dict[int, list[Paragraph]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for p in self.paragraphs.values():
            self._by_doc.setdefault(p.doc, []).append(p)
        for ps in self._by_doc.values():
            ps.sort(key=lambda p: p.start)

    def locate(self, doc: int, start: int, end: int, min_share: float = 0.5) -> str | None:
        """The paragraph that mostly coincides with ``docs[doc][start:end]``.

        The overlap must cover at least ``min_share`` of the span *and* of the
        paragraph, so a sentence found inside a longer paragraph stands for no
        paragraph (``None``), and neither does a span between paragraphs.
        """
        best, best_overlap = None, 0
        for p in self._by_doc.get(doc, []):
            overlap = min(end, p.end) - max(start, p.start)
            if overlap > best_overlap:
                best, best_overlap = p, overlap
        if best is None or best_overlap < min_share * max(1, end - start, best.end - best.start):
            return None
        return best.pid

    def pair_edits(self, pair: tuple[str, str]) -> set[str]:
        """The edit kinds of either paragraph of ``pair``."""
        a, b = pair
        return set(self.paragraphs[a].edits) | set(self.paragraphs[b].edits)

    def counts(self) -> dict[str, int]:
        """Documents, paragraphs by role, truth pairs and characters."""
        roles: dict[str, int] = {}
        for p in self.paragraphs.values():
            roles[p.role] = roles.get(p.role, 0) + 1
        return {
            "documents": len(self.docs),
            "paragraphs": len(self.paragraphs),
            **{_PLURAL[r]: roles.get(r, 0) for r in _PLURAL},
            "truth_pairs": len(self.truth),
            "characters": sum(len(d) for d in self.docs),
        }

    def edit_counts(self) -> dict[str, int]:
        """How many copies carry each edit kind."""
        out = dict.fromkeys(EDIT_KINDS, 0)
        for p in self.paragraphs.values():
            for k in p.edits:
                out[k] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """The set as plain data (what the CLI writes to ``set.json``)."""
        return {
            "seed": self.seed,
            "counts": self.counts(),
            "edit_counts": self.edit_counts(),
            "docs": self.docs,
            "paragraphs": [{**asdict(p), "edits": list(p.edits)} for p in self.paragraphs.values()],
            "truth": sorted(list(t) for t in self.truth),
        }


# -- reading the paragraphs ------------------------------------------------------------


def read_paragraphs(path: Path) -> list[str]:
    """The non-empty lines of ``path``, stripped."""
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def sentences(text: str) -> list[str]:
    """``text`` cut after ``。！？`` (closing quotes stay with their sentence).

    The pieces join back to ``text``.
    """
    return [m.group(0) for m in _SENTENCE.finditer(text) if m.group(0)]


# -- edits -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EditContext:
    """What an edit may draw on besides the text: other originals' sentences."""

    donor_sentences: Sequence[str] = ()


Edit = Callable[[str, random.Random, EditContext], str]


def insert_sentence(text: str, rng: random.Random, ctx: EditContext) -> str:
    """Insert a sentence of another original (:data:`DONOR_CHARS` long) at a sentence boundary."""
    sents = sentences(text)
    donor = rng.choice(list(ctx.donor_sentences))
    at = rng.randint(1, len(sents))
    return "".join([*sents[:at], donor, *sents[at:]])


def delete_sentence(text: str, rng: random.Random, ctx: EditContext) -> str:
    """Delete one sentence (paragraphs of three sentences or more)."""
    sents = sentences(text)
    del sents[rng.randrange(len(sents))]
    return "".join(sents)


def drop_function_words(text: str, rng: random.Random, ctx: EditContext) -> str:
    """Drop 50–100% of the function characters (:data:`FUNCTION_WORDS`), at least one."""
    rate = rng.uniform(0.5, 1.0)
    where = [i for i, c in enumerate(text) if c in FUNCTION_WORDS]
    drop = {i for i in where if rng.random() < rate} or {rng.choice(where)}
    return "".join(c for i, c in enumerate(text) if i not in drop)


def traditional(text: str, rng: random.Random, ctx: EditContext) -> str:
    """Convert to traditional characters with OpenCC ``s2t``."""
    from textwash.normalizers.chinese import get_converter

    return str(get_converter("s2t").convert(text))


def ascii_punct(text: str, rng: random.Random, ctx: EditContext) -> str:
    """Flatten full-width ``，：（）“”；！？`` to ASCII (as an NFKC pass upstream would)."""
    return text.translate(ASCII_PUNCT)


def ocr_spaces(text: str, rng: random.Random, ctx: EditContext) -> str:
    """Put a space after every Han character in one to three stretches (``社 会 、实 现``)."""
    marked = [False] * len(text)
    for _ in range(rng.randint(1, 3)):
        length = rng.randint(15, 60)
        start = rng.randrange(max(1, len(text) - length))
        for i in range(start, min(len(text), start + length)):
            marked[i] = True
    out: list[str] = []
    for i, c in enumerate(text):
        out.append(c)
        if marked[i] and _HAN.match(c) and i + 1 < len(text) and not text[i + 1].isspace():
            out.append(" ")
    return "".join(out)


def line_wraps(text: str, rng: random.Random, ctx: EditContext) -> str:
    """Hard-wrap the paragraph every 20–40 characters (one width per paragraph)."""
    width = rng.randint(20, 40)
    return "\n".join(text[i : i + width] for i in range(0, len(text), width))


#: The edit function of each kind.
EDITS: dict[str, Edit] = {
    "insert_sentence": insert_sentence,
    "delete_sentence": delete_sentence,
    "drop_function_words": drop_function_words,
    "traditional": traditional,
    "ascii_punct": ascii_punct,
    "ocr_spaces": ocr_spaces,
    "line_wraps": line_wraps,
}


def applicable(kind: str, text: str) -> bool:
    """Whether edit ``kind`` can change ``text``."""
    if kind == "delete_sentence":
        return len(sentences(text)) >= 3
    if kind == "drop_function_words":
        return any(c in FUNCTION_WORDS for c in text)
    if kind == "ascii_punct":
        return text != text.translate(ASCII_PUNCT)
    if kind in ("ocr_spaces", "traditional"):
        return bool(_HAN.search(text))
    if kind == "line_wraps":
        return len(text) > 40
    return True


def apply_edits(
    text: str, kinds: Iterable[str], rng: random.Random, ctx: EditContext
) -> str | None:
    """Apply ``kinds`` to ``text`` in :data:`EDIT_KINDS` order.

    ``None`` when some edit finds nothing to change in what the earlier ones
    left (no function word after a sentence was deleted, say).
    """
    chosen = set(kinds)
    for kind in EDIT_KINDS:
        if kind in chosen:
            if not applicable(kind, text):
                return None
            edited = EDITS[kind](text, rng, ctx)
            if edited == text:
                return None
            text = edited
    return text


def _choose_kinds(rng: random.Random, text: str, first: str | None) -> tuple[str, ...]:
    """One or two applicable edit kinds (``first`` is always among them when given)."""
    n = rng.choices(list(EDIT_COUNT_WEIGHTS), weights=list(EDIT_COUNT_WEIGHTS.values()))[0]
    pool = [k for k in EDIT_KINDS if applicable(k, text)]
    kinds = [first] if first is not None else []
    while len(kinds) < n:
        k = rng.choice(pool)
        if k in kinds or ({k, *kinds} >= {"insert_sentence", "delete_sentence"}):
            continue  # one sentence edit per copy
        kinds.append(k)
    return tuple(k for k in EDIT_KINDS if k in kinds)


# -- the set ---------------------------------------------------------------------------


def build(
    seed: int = 0,
    *,
    n_docs: int = 8,
    originals: Sequence[str] | None = None,
    distractors: Sequence[str] | None = None,
) -> LabelledSet:
    """Build the labelled set for ``seed``: the same seed gives the same set.

    ``originals`` and ``distractors`` default to the paragraphs shipped beside
    this file.  Every edit kind is given to at least one copy.
    """
    rng = random.Random(seed)
    origs = list(originals if originals is not None else read_paragraphs(ORIGINALS))
    dists = list(distractors if distractors is not None else read_paragraphs(DISTRACTORS))
    width = len(str(max(len(origs), len(dists))))
    sents = [sentences(t) for t in origs]

    items: list[Paragraph] = []
    # the first copies made cycle through the edit kinds, so each one occurs
    must = list(EDIT_KINDS)
    rng.shuffle(must)
    for n, text in enumerate(origs, 1):
        oid = f"o{n:0{width}d}"
        items.append(Paragraph(oid, "original", oid, (), text))
        n_copies = rng.choices(list(COPY_WEIGHTS), weights=list(COPY_WEIGHTS.values()))[0]
        donors = [
            s
            for m, ss in enumerate(sents)
            if m != n - 1 and len(ss) >= 3
            for s in ss
            if DONOR_CHARS[0] <= len(s) <= DONOR_CHARS[1]
        ]
        ctx = EditContext(donors)
        for c in range(1, n_copies + 1):
            first = next((k for k in must if applicable(k, text)), None)
            if first is not None:
                must.remove(first)
            copy: str | None = None
            while copy is None:  # every edit must change the text it is given
                kinds = _choose_kinds(rng, text, first)
                copy = apply_edits(text, kinds, rng, ctx)
            items.append(Paragraph(f"{oid}c{c}", "copy", oid, kinds, copy))
    if must:
        raise ValueError(f"no original could take the edit kinds {must}")
    for n, text in enumerate(dists, 1):
        items.append(Paragraph(f"d{n:0{width}d}", "distractor", None, (), text))

    rng.shuffle(items)
    docs: list[str] = []
    placed: dict[str, Paragraph] = {}
    per_doc = -(-len(items) // n_docs)
    for d in range(n_docs):
        chunk = items[d * per_doc : (d + 1) * per_doc]
        pos = 0
        texts: list[str] = []
        for p in chunk:
            if texts:
                pos += 2  # the blank line between paragraphs
            placed[p.pid] = replace(p, doc=d, start=pos, end=pos + len(p.text))
            texts.append(p.text)
            pos += len(p.text)
        docs.append("\n\n".join(texts))

    groups: dict[str, list[str]] = {}
    for p in placed.values():
        if p.group is not None:
            groups.setdefault(p.group, []).append(p.pid)
    truth = frozenset(
        (min(a, b), max(a, b))
        for members in groups.values()
        for i, a in enumerate(members)
        for b in members[i + 1 :]
    )
    ordered = dict(sorted(placed.items()))
    return LabelledSet(seed, docs, ordered, truth)


def _dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=1)


def write(ls: LabelledSet, out: Path) -> None:
    """Write the documents, ``paragraphs.json``, ``truth.json`` and ``set.json`` to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    width = len(str(len(ls.docs) - 1))
    for i, doc in enumerate(ls.docs):
        (out / f"doc_{i:0{max(2, width)}d}.txt").write_text(doc + "\n", encoding="utf-8")
    data = ls.to_dict()
    (out / "paragraphs.json").write_text(_dump(data["paragraphs"]) + "\n", encoding="utf-8")
    (out / "truth.json").write_text(_dump(data["truth"]) + "\n", encoding="utf-8")
    (out / "set.json").write_text(_dump(data) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Command line: build the set for a seed and write it to a folder."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--docs", type=int, default=8, help="number of dump documents")
    ap.add_argument("--out", type=Path, default=Path("build/labelled"))
    args = ap.parse_args(argv)
    ls = build(args.seed, n_docs=args.docs)
    write(ls, args.out)
    counts = ", ".join(f"{k} {v}" for k, v in ls.counts().items())
    edits = ", ".join(f"{k} {v}" for k, v in ls.edit_counts().items())
    print(f"seed {ls.seed}: {counts}\ncopies by edit kind: {edits}\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
