"""Fuzz the presets and find_duplicates with text built like a scraped dump.

The fuzzer's bytes are read as a little program that writes a dump: most
bytes append a fragment (a full-width symbol, a Unicode space, ASCII or CJK
punctuation, a line break, an invisible character, a mask, a heading ...),
and a few are operators that take the next byte as their argument (a Han
character from a pool of 256, a phrase, a boilerplate line, a snippet of
code, a table or kana; turn the current line into mojibake, UTF-8 read as
GBK, GB18030, Latin-1 or cp1252; repeat the previous line; start a new
document).  So every input is dump-like, and the fuzzer's mutations move
fragments around instead of producing invalid text.  The fragments are those
of tests/strategies.py.

Run with ``make fuzz`` or::

    .venv/bin/python fuzz/fuzz_dumps.py --make-seeds build/fuzz/dumps-seeds
    .venv/bin/python fuzz/fuzz_dumps.py build/fuzz/dumps build/fuzz/dumps-seeds \\
        -max_total_time=60

``--make-seeds DIR`` writes a seed corpus of byte programs for typical dump
text (issue 15's input among them) and exits.

The properties: no preset raises and each is idempotent; find_duplicates
never raises and every span it reports slices the raw documents to the text
it claims.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.strategies
from tests.strategies import (
    ASCII_PUNCT,
    BOILERPLATE_LINES,
    CJK_PUNCT,
    CODE_LINES,
    FULLWIDTH,
    HAN_COMMON,
    HAN_CONFUSABLE,
    HAN_RARE,
    HAN_TRADITIONAL,
    HEADINGS,
    INVISIBLES,
    KANA,
    LATIN,
    LINE_BREAKS,
    MASKS,
    SPACES,
    URLS,
)

with atheris.instrument_imports(include=["textwash"]):
    import textwash

PRESETS = textwash.PRESET_NAMES

# -- the byte program ------------------------------------------------------------

#: Fragments a single byte appends (a fragment listed twice is twice as likely).
FRAGMENTS: list[str] = [
    *FULLWIDTH,
    *CJK_PUNCT,
    *ASCII_PUNCT,
    *SPACES,
    *SPACES,
    *LINE_BREAKS,
    *INVISIBLES,
    *MASKS,
    *HEADINGS,
    *LATIN,
    *"0123456789０１２３",
    " 0 0",
    "\u3000１\u3000２",
]
HAN = list(dict.fromkeys(HAN_COMMON + HAN_CONFUSABLE + HAN_TRADITIONAL + HAN_RARE))
PHRASES = [
    "货比三家多花点心思了。",
    "社 会 、实 现 中华 民 族伟 大 复 兴",
    "近年来,随着社会的发展(三)要求:提高?",
    "有 着 8 0 0 0 万 党 员",
    "要树立人民警察的良好形象,让他们对人民警",
    "察存在信任。",
    "浅谈公安机关如何做好群众工作",
    "掌握笫一手资料,服务裙众,床笫之间",
    "這個軟體很好用，已經發展",
    '他说:"你好"',
    "不足 4 0 % 提高",
    "12:30, 3.14, (a) and Hello, world!",
    "１２．５％的增长，３,０００元",
    "*** 多发",
    "纯洁性、 : 巩固",
    "实践活动 .是",
]
SNIPPETS = [
    *CODE_LINES,
    *URLS,
    KANA,
    "| 名称 | 数量 |\n|---|---|\n| 苹果 | 3 |",
    '{"标题": "社会", "n": 1.5, "text": "近年来,随着"}',
    "これは日本語です。",
]
CODECS = [("gbk", 0), ("gbk", 1), ("gb18030", 0), ("latin-1", 0), ("cp1252", 0), ("cp1252", 2)]

# Operators: the byte values after the fragments; each takes the next byte.
OP_HAN, OP_PHRASE, OP_BOILER, OP_SNIPPET, OP_MOJIBAKE, OP_REPEAT, OP_DOC = range(
    len(FRAGMENTS), len(FRAGMENTS) + 7
)
OPS = 7
# Bytes beyond the operators append a Han character too: Han is most of a dump.
assert len(FRAGMENTS) + OPS < 256, len(FRAGMENTS)


def _misdecode(text: str, arg: int) -> str:
    codec, cut = CODECS[arg % len(CODECS)]
    data = text.encode("utf-8")
    if cut:
        data = data[: max(1, len(data) - cut)]
    return data.decode(codec, "replace")


#: The longest line the mojibake and repeat operators act on.
MAX_LINE = 400


def build(data: bytes) -> list[str]:
    """The documents (at least one) the byte program ``data`` writes."""
    docs: list[str] = []
    out: list[str] = []
    i = 0
    n = len(data)
    while i < n:
        b = data[i]
        arg = data[i + 1] if i + 1 < n else 0
        i += 1
        if b < len(FRAGMENTS):
            out.append(FRAGMENTS[b])
            continue
        if b >= len(FRAGMENTS) + OPS:
            out.append(HAN[(b * 7) % len(HAN)])
            continue
        i += 1  # the operator's argument
        if b == OP_HAN:
            out.append(HAN[arg % len(HAN)])
        elif b == OP_PHRASE:
            out.append(PHRASES[arg % len(PHRASES)])
        elif b == OP_BOILER:
            out.append(BOILERPLATE_LINES[arg % len(BOILERPLATE_LINES)])
        elif b == OP_SNIPPET:
            out.append(SNIPPETS[arg % len(SNIPPETS)])
        elif b in (OP_MOJIBAKE, OP_REPEAT):
            text = "".join(out)
            start = text.rfind("\n", 0, len(text) - 1) + 1
            line = text[start:]
            if len(line) > MAX_LINE:
                continue  # both grow the line: repeated, they would blow it up
            if b == OP_MOJIBAKE:
                out = [text[:start], _misdecode(line, arg)]
            else:
                sep = "\n" if not line.endswith("\n") else ""
                out = [text, sep, line * (1 + arg % 3)]
        else:  # OP_DOC
            docs.append("".join(out))
            out = []
    docs.append("".join(out))
    return docs


def encode(parts: list[tuple[str, int | str]]) -> bytes:
    """The byte program for ``parts``: ``("frag", text)``, ``("han", char)``, or an
    operator name and its argument (for the seed corpus)."""
    out = bytearray()
    ops = {
        "phrase": (OP_PHRASE, PHRASES),
        "boiler": (OP_BOILER, BOILERPLATE_LINES),
        "snippet": (OP_SNIPPET, SNIPPETS),
    }
    for kind, value in parts:
        if kind == "frag":
            out.append(FRAGMENTS.index(str(value)))
        elif kind == "han":
            for ch in str(value):
                out += bytes([OP_HAN, HAN.index(ch)])
        elif kind in ops:
            op, table = ops[kind]
            out += bytes([op, table.index(str(value))])
        else:
            op = {"mojibake": OP_MOJIBAKE, "repeat": OP_REPEAT, "doc": OP_DOC}[kind]
            out += bytes([op, int(value)])
    return bytes(out)


def seeds() -> list[bytes]:
    """Byte programs for typical dump text, and some random ones."""
    issue15 = [("frag", "％"), ("frag", "\u3000"), ("phrase", "货比三家多花点心思了。")]
    title = [("han", "群众工作"), ("frag", "\n"), ("repeat", 1)]
    out = [
        encode(issue15),
        encode([*title, ("phrase", "近年来,随着社会的发展(三)要求:提高?"), ("frag", "\n")]),
        encode([("boiler", BOILERPLATE_LINES[0]), ("frag", "\n"), *issue15, ("frag", "\r\n")]),
        encode([("han", "公安机关群众工作"), ("mojibake", 0), ("frag", "\u2028")]),
        encode([("han", "人民警察"), ("mojibake", 3), ("frag", "\n"), ("han", "标题")]),
        encode([("phrase", "有 着 8 0 0 0 万 党 员"), ("frag", "\u3000"), ("frag", "\n")]),
        encode([("snippet", CODE_LINES[1]), ("frag", "\n"), ("snippet", URLS[0])]),
        encode([*issue15, ("frag", "\n"), ("doc", 0), *issue15, ("frag", "\n")]),
        encode([("frag", "第一章"), ("han", "己經"), ("frag", "\n"), ("frag", "（三）")]),
    ]
    rng = random.Random(15)
    out += [bytes(rng.randrange(256) for _ in range(rng.randrange(8, 200))) for _ in range(40)]
    return out


# -- the properties --------------------------------------------------------------


def check(data: bytes) -> None:
    docs = build(data)
    text = "\n".join(docs)
    for preset in PRESETS:
        once = textwash.clean(text, preset)
        assert textwash.clean(once, preset) == once, (preset, text)
    report = textwash.find_duplicates(docs)
    for cluster in report.clusters:
        for m in cluster.members:
            raw = docs[int(m.doc_id)]
            assert 0 <= m.start <= m.end <= len(raw), (docs, m)
            assert m.text == raw[m.start : m.end], (docs, m)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--make-seeds":
        folder = Path(sys.argv[2])
        folder.mkdir(parents=True, exist_ok=True)
        for k, seed in enumerate(seeds()):
            (folder / f"seed-{k:03d}").write_bytes(seed)
        print(f"wrote {len(seeds())} seeds to {folder}")
        return
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
