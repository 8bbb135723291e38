"""The fast path: prechecks skip work and never change a result.

A step's :meth:`~textwash.Normalizer.may_edit` says ``False`` only when the step
has no edit and no flag to give, and the pipeline then skips it; protect's
region finder skips its scan when no kind can start.  So every field of a
:class:`~textwash.RunResult` (text, step counts and edits, flags, protected
regions, composed edits, offsets) and the plain call must be the same with the
prechecks switched off (:func:`textwash.pipeline.prechecks`), for every preset,
every step alone and options that change what a step looks for, on clean
paragraphs, clean paragraphs with one defect, the do-no-harm corpus, the seed
dumps and the dump-like strategies.  Each precheck is also tested on text
dirty by just one character or line, the case it must not miss.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import regex
from hypothesis import example, given
from hypothesis import strategies as st

import textwash
from textwash import Edit, Normalizer, Pipeline, get_preset
from textwash.normalizers import (
    NORMALIZERS,
    Boilerplate,
    ChineseConvert,
    Confusables,
    GbkMojibake,
    LineRepair,
    OcrSpacing,
    Punctuation,
    RepeatedLines,
    UnicodeRepair,
    Whitespace,
    Width,
)
from textwash.normalizers.boilerplate import _compiled, _shipped, load_patterns
from textwash.normalizers.chinese import get_converter
from textwash.normalizers.confusables import literal_core, load_rules
from textwash.pipeline import prechecks
from textwash.protect import BLOCK_KINDS, INLINE_KINDS, KINDS, Protect, find_protected
from textwash.segment.collection import segmentation_pipeline

from .conftest import DATA, ROOT, SEEDS, slow_property
from .strategies import dump_text, token

# -- the inputs -------------------------------------------------------------------


def _make_corpus() -> Any:
    spec = importlib.util.spec_from_file_location(
        "make_corpus", ROOT / "benchmarks" / "make_corpus.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _paragraphs(n: int) -> list[str]:
    """Pseudo-Chinese paragraphs of the corpus generator (some hold traditional
    characters), and the same cleaned: clean text."""
    model = _make_corpus().TextModel(np.random.default_rng(0))
    raw = [model.paragraph()[0] for _ in range(n)]
    with prechecks(False):
        clean = [segmentation_pipeline()(p) for p in raw]
    return raw + clean


PARAGRAPHS = _paragraphs(40)
CLEAN = PARAGRAPHS[40:]


def _noharm() -> list[str]:
    header = regex.compile(r"^===== [a-z0-9][a-z0-9_.-]*$", regex.MULTILINE)
    out = []
    for path in sorted((DATA / "noharm").glob("*.txt")):
        out += [s.strip("\n") + "\n" for s in header.split(path.read_text("utf-8"))[1:]]
    return out


NOHARM = _noharm()

#: Each a clean paragraph with one defect a step (or protect) acts on.
BARELY_DIRTY = {
    "ascii comma": "近年来,随着社会的发展。",
    "ascii period": "保护群众.所谓基层民警",
    "stray period (a flag, no edit)": "这是民间的.传统节日",
    "two periods (a flag, no edit)": "包括..等内容",
    "straight quotes": '他说："你好"。',
    "ascii brackets": "要求(三)提高。",
    "doubled full stop": "总量保持不变。。下一步",
    "traditional character": "随着社会经济的發展。",
    "particle 著": "随著时代的发展。",
    "OCR space": "心里装着群众，勇于对人 民负责，坚持替群众着想。",
    "OCR digits": "有着8 0 0 0万党员。",
    "confusable": "服务裙众是根本。",
    "confusable in traditional": "他己經走了。",
    "masked word (a flag, no edit)": "涉事人员***已被处理。",
    "boilerplate line": "正文。\n相关文档\n",
    "boilerplate in traditional": "正文。\n相關推薦\n",
    "page counter": "正文。\n第2页共5页\n",
    "check-mark badge": "(√)浅谈群众工作\n正文。",
    "full-width letters": "下载ＡＰＰ。",
    "full-width number": "增长５．２％。",
    "zero-width space": "社\u200b会发展。",
    "BOM": "\ufeff社会发展。",
    "radical": "⼈⺠警察。",
    "decomposed accent": "cafe\u0301的咖啡。",
    "lost-byte marker": "社会锟斤拷发展。",
    "lone surrogate": "社会\ud800发展。",
    "HTML entity": "社会&amp;发展。",
    "ligature": "社会ﬁ发展。",
    "UTF-8 read as cp1252": "社会" + "中国人民".encode().decode("cp1252"),
    "UTF-8 read as GBK": "标题\n绀句細娌诲畨缁煎悎娌荤悊\n",
    "trailing blank": "社会发展。 ",
    "CRLF": "社会发展。\r\n正文。",
    "blank lines": "社会发展。\n\n\n正文。",
    "leading line break": "\n社会发展。",
    "ideographic indent": "\u3000\u3000社会发展。",
    "hard wrap": "要树立人民警察的良好形象,让他们对人民警\n察存在信任。",
    "title echo": "浅谈新时期的公安群众工作\n\n浅谈新时期的公安群众工作\n\n正文。\n",
    "url": "详见https://example.com/a,b获取。",
    "e-mail": "发送至user@example.cn,谢谢。",
    "inline code": "用`f(a,b)`计算,结果",
    "version": "升级到v2.3.1,好。",
    "path": "打开C:\\Users\\张三,好。",
    "markup": "见<b>粗体</b>,好。",
    "fence": "示例：\n```\nprint('你好,世界')\n```\n",
    "table row": "| 名称 | 数量 |\n|---|---|\n| 苹果,梨 | 3 |",
    "kana": "日语的“です”很常见，東京は日本の首都です。",
    "aligned form": "主持人：张三    记录人：李四\n近年来,随着",
}

#: Normalizers whose options change what they look for, beside every preset's steps.
VARIANTS: list[Any] = [
    UnicodeRepair(ftfy=False),
    UnicodeRepair(normalization=None),
    UnicodeRepair(normalization="NFKC"),
    UnicodeRepair(invisibles=False, radicals=False, markers=False),
    GbkMojibake(min_han=2, min_share=0.5),
    Whitespace(strip_indent=True),
    Whitespace(max_blank_lines=0),
    Whitespace(line_endings=False),
    Whitespace(line_endings=False, trailing=False, max_blank_lines=-1),
    Whitespace(line_endings=False, trailing=False, strip_indent=True, max_blank_lines=-1),
    Width(symbols=True),
    Boilerplate(patterns=("^正文。$",)),
    Boilerplate(builtin=False),
    Boilerplate(max_chars=4),
    LineRepair(min_chars=4, long_chars=8),
    Punctuation(marks=False),
    Punctuation(periods=False, quotes=False),
    Punctuation(brackets=False, marks=False, periods=False),
    OcrSpacing(digits=False, min_han=2),
    Confusables(extra=(("社会", "社會"),)),
    Confusables(extra=(("曰[益常趋]", "日"),)),  # no literal core: no shortcut
    Confusables(builtin=False),
    ChineseConvert("s2t"),
    ChineseConvert("tw2s"),
    ChineseConvert(only_if_traditional=False),
    ChineseConvert("t2jp"),
    RepeatedLines(fold=False),
]


def _pipelines() -> dict[str, Pipeline]:
    out = {f"preset {name}": get_preset(name) for name in textwash.PRESET_NAMES}
    out["segmentation"] = segmentation_pipeline()
    steps = [s for name in textwash.PRESET_NAMES for s in get_preset(name)] + VARIANTS
    for s in steps:
        out.setdefault(f"alone {s!r}", Pipeline([s]))
    out["protect urls only"] = Pipeline([Punctuation()], Protect(kinds=("url", "email")))
    out["protect blocks only"] = Pipeline([Punctuation()], Protect(kinds=BLOCK_KINDS))
    out["protect nothing"] = Pipeline([Punctuation()], Protect(kinds=()))
    return out


PIPELINES = _pipelines()
NAMES = sorted(PIPELINES)
STEPS = [s for s in dict.fromkeys([*(c() for c in NORMALIZERS.values()), *VARIANTS])]


# -- comparing results ------------------------------------------------------------


def _outcome(pipeline: Pipeline, text: str) -> tuple[Any, ...]:
    """Every field of the run, offsets probed, and the plain call; or the error."""
    try:
        r = pipeline.run(text)
        n = len(r.text)
        cuts = sorted({0, n // 3, n // 2, n - n // 4, n, *range(0, n, max(1, n // 16))})
        spans = [(a, b) for a in cuts for b in cuts if a <= b]
        return (
            r.source,
            r.text,
            r.step_counts,
            r.step_edits,
            r.flags,
            r.protected,
            r.edits,
            [r.to_source(a, b) for a, b in spans],
            pipeline(text),
        )
    except Exception as exc:
        return ("raised", type(exc), str(exc), getattr(exc, "position", None))


def assert_same(pipeline: Pipeline, text: str) -> None:
    with prechecks(False):
        slow = _outcome(pipeline, text)
    assert _outcome(pipeline, text) == slow


def assert_conservative(step: Any, text: str) -> None:
    """``may_edit`` may say no only where the step has no edit and no flag."""
    if not step.may_edit(text):
        assert step.edits(text) == [], (step, text)
        assert step.flags(text) == [], (step, text)
        assert step(text) == text


def one_defect(paragraph: str, defect: str, at: float) -> str:
    i = int(at * len(paragraph))
    return paragraph[:i] + defect + paragraph[i:]


def _in_context(text: str) -> list[str]:
    """``text``, glued into a clean paragraph, and as lines before and after one."""
    return [text, one_defect(CLEAN[1], text, 0.3), f"{CLEAN[2]}\n{text}", f"{text}\n{CLEAN[2]}"]


# -- the same results ---------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_clean_and_generated_paragraphs(name):
    pipeline = PIPELINES[name]
    for text in PARAGRAPHS:
        assert_same(pipeline, text)
    assert_same(pipeline, "\n\n".join(PARAGRAPHS[:10]))


@pytest.mark.parametrize("name", NAMES)
def test_barely_dirty_paragraphs(name):
    pipeline = PIPELINES[name]
    for text in BARELY_DIRTY.values():
        assert_same(pipeline, text)
        assert_same(pipeline, one_defect(CLEAN[0], text, 0.5))


@pytest.mark.parametrize("name", NAMES)
def test_the_do_no_harm_corpus(name):
    assert len(NOHARM) >= 120
    pipeline = PIPELINES[name]
    for text in NOHARM:
        assert_same(pipeline, text)


def _seed_files() -> list[Path]:
    return sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []


@pytest.mark.parametrize("name", NAMES)
def test_the_seed_dumps(name):
    files = _seed_files()
    if not files:
        pytest.skip(f"no seed dumps at {SEEDS} (set TEXTWASH_SEEDS)")
    pipeline = PIPELINES[name]
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert_same(pipeline, text)
        if name in ("segmentation", "preset zh"):  # and paragraph by paragraph
            for line in text.splitlines()[:400]:
                assert_same(pipeline, line)


@pytest.mark.parametrize("name", NAMES)
@slow_property(share=8)
@given(text=st.one_of(dump_text, st.text(max_size=60)))
@example(text="近年来，随着社会的发展。")
@example(text="")
def test_dump_like_text(name, text):
    assert_same(PIPELINES[name], text)


@pytest.mark.parametrize("preset", ["segmentation", "preset zh", "preset zh-hant"])
@slow_property(share=4)
@given(
    paragraph=st.sampled_from(CLEAN),
    defects=st.lists(st.tuples(token, st.floats(0, 1)), min_size=1, max_size=2),
)
def test_mostly_clean_paragraphs(preset, paragraph, defects):
    text = paragraph
    for defect, at in defects:
        text = one_defect(text, defect, at)
    assert_same(PIPELINES[preset], text)


# -- each precheck is conservative ----------------------------------------------------


@pytest.mark.parametrize("step", STEPS, ids=repr)
@slow_property(share=4)
@given(text=st.one_of(dump_text, st.text(max_size=60), st.sampled_from(NOHARM)))
@example(text="近年来，随着社会的发展。")
def test_a_precheck_says_no_only_when_there_is_nothing_to_do(step, text):
    assert_conservative(step, text)


@pytest.mark.parametrize("step", STEPS, ids=repr)
@slow_property(share=4)
@given(
    paragraph=st.sampled_from(CLEAN),
    defect=st.one_of(token, st.sampled_from(list(BARELY_DIRTY.values()))),
    at=st.floats(0, 1),
)
def test_a_precheck_sees_one_defect_in_a_clean_paragraph(step, paragraph, defect, at):
    assert_conservative(step, one_defect(paragraph, defect, at))


@pytest.mark.parametrize("step", STEPS, ids=repr)
def test_a_precheck_sees_text_dirty_by_one_character(step):
    acted = 0
    for label, text in BARELY_DIRTY.items():
        for t in _in_context(text):
            assert_conservative(step, t)
            if step.edits(t) or step.flags(t):
                assert step.may_edit(t), (label, t)
                acted += 1
    # the examples exercise every default step (the variants may switch the rule off)
    if type(step)() == step:
        assert acted, f"no example here is dirty for {step!r}"


@pytest.mark.parametrize(
    ("step", "label"),
    [
        (Punctuation(), "ascii comma"),
        (Punctuation(), "stray period (a flag, no edit)"),
        (Punctuation(), "two periods (a flag, no edit)"),
        (Punctuation(), "straight quotes"),
        (Punctuation(), "ascii brackets"),
        (Punctuation(), "doubled full stop"),
        (ChineseConvert(), "traditional character"),
        (ChineseConvert(), "particle 著"),
        (OcrSpacing(), "OCR space"),
        (OcrSpacing(), "OCR digits"),
        (Confusables(), "confusable"),
        (Confusables(), "confusable in traditional"),
        (Confusables(), "masked word (a flag, no edit)"),
        (Boilerplate(), "boilerplate line"),
        (Boilerplate(), "boilerplate in traditional"),
        (Boilerplate(), "page counter"),
        (Boilerplate(), "check-mark badge"),
        (Width(), "full-width letters"),
        (Width(), "full-width number"),
        (UnicodeRepair(), "zero-width space"),
        (UnicodeRepair(), "BOM"),
        (UnicodeRepair(), "radical"),
        (UnicodeRepair(), "decomposed accent"),
        (UnicodeRepair(), "lost-byte marker"),
        (UnicodeRepair(), "lone surrogate"),
        (UnicodeRepair(), "HTML entity"),
        (UnicodeRepair(), "ligature"),
        (UnicodeRepair(), "UTF-8 read as cp1252"),
        (GbkMojibake(), "UTF-8 read as GBK"),
        (Whitespace(), "trailing blank"),
        (Whitespace(), "CRLF"),
        (Whitespace(), "blank lines"),
        (Whitespace(), "leading line break"),
        (Whitespace(strip_indent=True), "ideographic indent"),
        (LineRepair(), "hard wrap"),
        (RepeatedLines(), "title echo"),
    ],
    ids=lambda x: x if isinstance(x, str) else type(x).__name__,
)
def test_each_precheck_on_its_barely_dirty_text(step, label):
    text = BARELY_DIRTY[label]
    assert step.edits(text) or step.flags(text), "the example must be dirty for the step"
    for t in _in_context(text):
        if step.edits(t) or step.flags(t):
            assert step.may_edit(t), t
        assert_same(Pipeline([step]), t)


@pytest.mark.parametrize(
    "label",
    ["url", "e-mail", "inline code", "version", "path", "markup", "fence", "table row", "kana",
     "aligned form"],
)  # fmt: skip
def test_protect_precheck_on_its_barely_dirty_text(label):
    text = f"{CLEAN[3]}\n{BARELY_DIRTY[label]}"
    regions = find_protected(text)
    assert regions, "the example must hold a protected region"
    assert find_protected(text, precheck=False) == regions


@pytest.mark.parametrize(
    "kinds",
    [KINDS, BLOCK_KINDS, INLINE_KINDS, ("url",), ("data",), ("fenced_code",), ("latin", "path")],
    ids=str,
)
@slow_property(share=2)
@given(text=st.one_of(dump_text, st.sampled_from(NOHARM), st.sampled_from(CLEAN)))
def test_protect_precheck_finds_the_same_regions(kinds, text):
    assert find_protected(text, kinds) == find_protected(text, kinds, precheck=False)


# -- the fast path is taken -------------------------------------------------------


def test_a_clean_paragraph_skips_every_step_and_the_region_scan():
    text = "近年来，随着社会经济的发展，群众的需求日益增长（见表一），对公安工作提出了更高的要求……"
    assert [s for s in get_preset("zh") if s.may_edit(text)] == []
    assert find_protected(text) == []
    with prechecks(False):
        slow = get_preset("zh").run(text)
    fast = get_preset("zh").run(text)
    assert fast.step_counts == slow.step_counts and fast.text == text


def test_most_generated_clean_paragraphs_skip_most_steps():
    steps = segmentation_pipeline().steps
    busy = sum(s.may_edit(p) for p in CLEAN for s in steps)
    assert busy <= len(CLEAN) * 2, busy


# -- the mechanism ----------------------------------------------------------------


def test_a_subclass_that_changes_behaviour_loses_its_parents_precheck():
    class Loud(Width):
        def _passes(self):
            return [lambda t: [Edit(0, len(t), t.upper())] if t.islower() else []]

    @dataclass(frozen=True, repr=False)
    class Wider(Width):
        symbols: bool = True  # options only: the parent's precheck reads them

    @dataclass(frozen=True, repr=False)
    class Careful(Width):
        def edits(self, text):
            return super().edits(text)

        def may_edit(self, text):
            return "Ｘ" in text or super().may_edit(text)

    assert Loud().may_edit("abc") and Loud()("abc") == "ABC"
    assert Pipeline([Loud()])("abc") == Pipeline([Loud()]).run("abc").text == "ABC"
    assert not Wider().may_edit("干净") and Wider().may_edit("＃")
    assert not Careful().may_edit("干净") and Careful().may_edit("Ｘ")


def test_a_user_step_without_a_precheck_always_runs():
    @dataclass(frozen=True, repr=False)
    class Upper(Normalizer):
        def edits(self, text):
            return [Edit(0, len(text), text.upper())] if text != text.upper() else []

    assert Upper().may_edit("abc")
    assert Pipeline([Upper(), str.strip])(" abc ") == "ABC"


def test_a_failing_precheck_runs_the_step_which_reports_its_own_error():
    @dataclass(frozen=True, repr=False)
    class Broken(Normalizer):
        def may_edit(self, text):
            raise RuntimeError("precheck")

        def edits(self, text):
            return [Edit(0, 1, "X")] if text else []

    assert Pipeline([Broken()])("abc") == "Xbc"
    assert Pipeline([Broken()]).run("abc").text == "Xbc"


def test_prechecks_switch_is_restored():
    before = textwash.pipeline._prechecks
    with pytest.raises(ValueError), prechecks(not before):
        raise ValueError
    assert textwash.pipeline._prechecks is before


def test_literal_cores_of_the_shipped_confusables():
    # every shipped rule has one, so Confusables' precheck is a plain search
    assert all(literal_core(r.pattern) for r in load_rules())
    assert literal_core("(?<=a)(?<!b[c)])核心(?=[^)]|d)") == "核心"
    for pattern in ["a|b", "a.c", "(ab)", "a+", r"a\d", "(?i)ab", "(?<=(a))b", "a{2}"]:
        assert literal_core(pattern) is None, pattern


@given(key=st.one_of(dump_text, st.sampled_from(load_patterns())))
@example(key="中国资料网>教育>学习")
def test_shipped_boilerplate_patterns_one_by_one_match_as_their_alternation(key):
    assert any(p.search(key) for p in _shipped()) == bool(_compiled(True, (), None).search(key))


def test_the_converter_remembers_only_its_last_text():
    t2s = get_converter("t2s")
    random.seed(0)
    words = ["這個", "软件", "發展", "社会\ud800會", ""]
    for _ in range(50):
        w = random.choice(words)
        assert (
            t2s.convert(w)
            == t2s.convert(w)
            == {
                "這個": "这个",
                "软件": "软件",
                "發展": "发展",
                "社会\ud800會": "社会\ud800会",
                "": "",
            }[w]
        )
