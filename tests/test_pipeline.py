"""Pipeline composition, explanations, offsets and configuration round trips."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import regex

import textwash
from textwash import (
    ChineseConvert,
    ConfigError,
    Normalizer,
    OcrSpacing,
    Pipeline,
    Punctuation,
    sub_edits,
)

RAW = "浅谈工作\n\n浅谈工作\n\n近年来,随着社 会 、经 济的发展,裙众的需求日益增长.\n相关文档\n"


@dataclass(frozen=True, repr=False)
class DropDigits(Normalizer):
    """A user-defined normalizer, as the docs show it."""

    replacement: str = ""

    def edits(self, text):
        return sub_edits(regex.compile(r"\d+"), text, self.replacement)


def shout(text: str) -> str:
    return text.replace("工作", "【工作】")


def test_pipeline_runs_steps_in_order_and_is_reorderable():
    a = Pipeline([OcrSpacing(), Punctuation()])
    b = Pipeline([Punctuation(), OcrSpacing()])
    text = "社 会 , 经 济"
    assert a(text) == "社会 ， 经济"  # spaces around ASCII "," are not OCR gaps yet
    assert b(text) == "社会，经济"
    assert len(a) == 2
    assert isinstance(a[0], OcrSpacing)
    assert a[1:] == Pipeline([Punctuation()])
    assert (a + Pipeline([ChineseConvert()])).steps[-1] == ChineseConvert()


def test_plain_callables_and_user_normalizers_fit_in():
    p = Pipeline([DropDigits(), shout])
    assert p("第1项工作") == "第项【工作】"
    assert "FunctionStep(shout)" in repr(p)
    assert "DropDigits()" in repr(p)


def test_explain_lists_every_edit_with_raw_spans():
    p = textwash.get_preset("zh")
    edits = p.explain(RAW)
    steps = {e.step for e in edits}
    assert {"Boilerplate", "OcrSpacing", "Punctuation", "Confusables", "RepeatedLines"} <= steps
    for e in edits:
        assert e.old != e.new
        assert 0 <= e.source_start <= e.source_end <= len(RAW)
    conf = [e for e in edits if e.step == "Confusables"]
    assert [(e.old, e.new) for e in conf] == [("裙众", "群众")]
    assert RAW[conf[0].source_start : conf[0].source_end] == "裙众"
    punct = [e for e in edits if e.step == "Punctuation"]
    assert all(RAW[e.source_start : e.source_end] == e.old for e in punct if e.old in ",.")


def test_run_maps_cleaned_spans_back_to_raw_text():
    result = textwash.get_preset("zh").run(RAW)
    assert result.text == textwash.clean(RAW)
    i = result.text.index("社会、经济")
    s, e = result.to_source(i, i + len("社会、经济"))
    assert RAW[s:e] == "社 会 、经 济"
    j = result.text.index("群众")
    s, e = result.to_source(j, j + 2)
    assert RAW[s:e] == "裙众"


def test_run_collects_flags_in_raw_coordinates():
    raw = "标题\n\n引起*** 多发，工作锟斤拷总结。\n"
    result = textwash.get_preset("zh").run(raw)
    kinds = {(f.kind, raw[f.source_start : f.source_end]) for f in result.flags}
    assert ("masked", "***") in kinds
    assert ("lost-bytes", "锟斤拷") in kinds


def test_config_round_trip_through_toml(tmp_path):
    p = Pipeline([OcrSpacing(min_han=15), ChineseConvert("s2t"), Punctuation(quotes=False)])
    toml = p.to_toml()
    assert 'name = "OcrSpacing"' in toml
    assert "min_han = 15" in toml
    f = tmp_path / "pipe.toml"
    f.write_text(toml, encoding="utf-8")
    assert Pipeline.from_config(f) == p
    assert Pipeline.from_config(str(f)) == p
    assert Pipeline.from_config(p.to_config()) == p


@pytest.mark.parametrize("preset", textwash.PRESET_NAMES)
def test_presets_round_trip(preset):
    p = textwash.get_preset(preset)
    assert Pipeline.from_config(p.to_toml()) == p
    assert Pipeline.from_config({"preset": preset}) == p


def test_config_with_importable_user_step():
    cfg = {"steps": [{"name": "tests.test_pipeline:DropDigits", "replacement": "#"}]}
    assert Pipeline.from_config(cfg)("第1项") == "第#项"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"steps": [{"name": "NoSuchStep"}]}, "unknown normalizer 'NoSuchStep'"),
        ({"steps": [{"name": "OcrSpacing", "bogus": 1}]}, "bad options for OcrSpacing"),
        ({"steps": [{"name": "ChineseConvert", "config": "x2y"}]}, "unknown OpenCC config"),
        ({"steps": []}, "non-empty list"),
        ({"steps": [{"min_han": 3}]}, "step 1 needs a 'name'"),
        ({"steps": [{"name": "nosuchmodule:thing"}]}, "cannot import"),
    ],
)
def test_config_errors_are_clear(config, message):
    with pytest.raises((ConfigError, ValueError), match=message):
        Pipeline.from_config(config)


def test_config_file_errors_name_the_file(tmp_path):
    f = tmp_path / "broken.toml"
    f.write_text("[[steps]\nname = 1", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.toml: invalid TOML"):
        Pipeline.from_config(f)
    with pytest.raises(ConfigError, match="cannot read pipeline file"):
        Pipeline.from_config(tmp_path / "missing.toml")


def test_unknown_preset():
    with pytest.raises(ValueError, match="unknown preset 'xx'"):
        textwash.clean("文本", preset="xx")


def test_zh_hant_converts_to_traditional():
    assert textwash.clean("这个软件,很好用", "zh-hant") == "這個軟件，很好用"


def test_minimal_leaves_punctuation_alone():
    assert textwash.clean("近年来,随着 社 会  \r\n", "minimal") == "近年来,随着 社 会\n"
