"""Confusables: every rule must be right wherever it fires, so two words that
merely meet (自己 + 经常, 期末 + 来临) must not be read as a look-alike."""

from __future__ import annotations

import pytest

from textwash.normalizers import Confusables


@pytest.mark.parametrize(
    "text",
    [
        "期末来临，这个周末来我家玩的同学特别多。",
        "年末来访的客人，月末来信。",
        "我发现自己经常粗心，把自己经历过的错题抄下来。",
        "知己经常来往。",
        "夜深人静的时候，更深人静之际。",
        "资深人士认为，此事深人心。",
        "床笫之间",
    ],
)
def test_words_that_meet_are_left_alone(text):
    assert Confusables()(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我们己经深人开展工作，面向末来。", "我们已经深入开展工作，面向未来。"),
        ("他早己经走了。", "他早已经走了。"),
        ("掌握笫一手资料，服务裙众。", "掌握第一手资料，服务群众。"),
    ],
)
def test_look_alikes_are_still_repaired(text, expected):
    assert Confusables()(text) == expected
