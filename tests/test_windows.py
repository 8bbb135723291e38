"""Cleaning in windows (textwash.windows) gives what cleaning the whole text gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from textwash import Edit, Pipeline, apply_edits, get_preset
from textwash.normalizers import LineRepair, OcrSpacing, Whitespace
from textwash.parallel import Workers, clean_window_in_worker
from textwash.windows import Resume, Windowed, map_positions

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sample_dump.txt"


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def _windowed(pipeline: Pipeline, text: str, window: int, context: int, piece: int) -> Windowed:
    w = Windowed(pipeline, window=window, context=context)
    w.output = "".join(w.clean(_pieces(text, piece)))  # type: ignore[attr-defined]
    return w


@pytest.mark.parametrize(("window", "context", "piece"), [(2048, 256, 1000), (8192, 1024, 50_000)])
@pytest.mark.parametrize("preset", ["zh", "zh-hant", "minimal"])
def test_windows_join_to_the_whole_text_cleaned_on_the_sample(preset, window, context, piece):
    zh = get_preset(preset)
    text = SAMPLE.read_text(encoding="utf-8") * 12
    w = _windowed(zh, text, window, context, piece)
    assert w.windows > 5
    assert w.output == zh(text)  # type: ignore[attr-defined]
    assert (w.conflicts, w.disagreements) == (0, 0)
    assert w.step_counts == [n for _, n in zh.run(text).step_counts]


def test_windows_join_to_the_whole_text_cleaned_on_the_seed(seed_text):
    zh = get_preset("zh")
    for text in (seed_text * 8, seed_text.replace("\n", "\n\n\n") * 4):
        w = _windowed(zh, text, 4096, 512, 7777)
        assert w.output == zh(text)  # type: ignore[attr-defined]
        assert (w.conflicts, w.disagreements) == (0, 0)


def test_hard_wrapped_text_is_joined_across_windows(seed_text):
    # every paragraph of the seed hard-wrapped at 70 characters, a blank line between
    wrapped = [
        "\n".join(line[i : i + 70] for i in range(0, len(line), 70))
        for line in seed_text.splitlines()
    ]
    text = "\n\n".join(wrapped) * 3
    zh = get_preset("zh")
    w = _windowed(zh, text, 4096, 512, 4096)
    assert w.output == zh(text)  # type: ignore[attr-defined]


def test_a_line_longer_than_a_window_is_judged_per_window():
    # OcrSpacing decides whether a *line* is OCR-spaced; on a line with no break
    # the window is the line it judges (documented).  Here the second half of a
    # 40,000-character line has Han-space-Han gaps, the first half has none.
    text = "近年来随着社会的发展。" * 2000 + "社 会 、实 现 目 标。" * 2000
    step = Pipeline([OcrSpacing()])
    w = _windowed(step, text, 4096, 512, 10_000)
    assert w.output == step(text)  # type: ignore[attr-defined]
    # Phrases split by blanks are not OCR debris in a line without punctuation,
    # but are in running text with some: windows inside the run of phrases,
    # which see no punctuation, keep them.  (Runs of 2-4 character names are a
    # name list on any line, so the phrases here are longer.)
    phrases = "我们要认真学习 社会主义核心价值 "
    mixed = "近年来随着社会的发展。" * 100 + phrases * 2000
    w = _windowed(step, mixed, 4096, 512, 10_000)
    assert step(mixed) == mixed.replace(" 社", "社").replace(" 我", "我")
    assert w.output.startswith(step(mixed)[:2000])  # type: ignore[attr-defined]
    assert w.output.endswith(phrases * 100)  # type: ignore[attr-defined]


texts = st.lists(
    st.text(st.sampled_from(list("人民警察社会，。、（）() \u3000,:!?abc12第章一")), max_size=40),
    max_size=300,
).map("\n".join)


# Every step of zh but LineRepair decides from a bounded neighbourhood (a line,
# the lines next to it: a title repeated on the next line, or at the start of
# the line after); LineRepair's decision rests on the whole line joined so far,
# which can reach back arbitrarily far (see the test after this one).
LOCAL_ZH = Pipeline([s for s in get_preset("zh") if not isinstance(s, LineRepair)])

# The context a window needs to see that neighbourhood whole: three lines of
# ``texts`` (at most 40 characters each) and their breaks.  With 16, a window
# could start inside "\n\n1111\n1111\n111111111" and miss the blank line that
# makes "1111" a title printed twice.
LINES_CONTEXT = 3 * 41 + 5


@given(texts, st.integers(4 * LINES_CONTEXT, 2000), st.integers(1, 500))
def test_any_text_in_any_pieces_comes_out_as_cleaned_whole(text, window, piece):
    w = _windowed(LOCAL_ZH, text, window, LINES_CONTEXT, piece)
    assert w.output == LOCAL_ZH(text)  # type: ignore[attr-defined]


def test_a_join_decided_from_far_back_is_counted_as_a_disagreement():
    # The first line has punctuation, so in the whole text every short wrapped
    # line after it is joined on; a window starting further down sees only
    # short lines without punctuation (titles, by LineRepair's rules), does not
    # join them, and then drops one as a repeated title.
    text = "11111111111111111111111111:1\n" + "1111111111111111111\n" * 2 + "1" * 27
    zh = get_preset("zh")
    w = _windowed(zh, text, 64, 16, 1)
    assert w.output != zh(text)  # type: ignore[attr-defined]
    assert w.disagreements == 1


@given(st.text(max_size=3000), st.integers(1, 700))
def test_no_text_is_lost_or_doubled_at_the_seams(text, piece):
    # with a pipeline that changes nothing, the output is the input
    w = _windowed(Pipeline([]), text, 256, 32, piece)
    assert w.output == text  # type: ignore[attr-defined]


def test_windows_run_in_worker_processes_give_the_same_text():
    zh = get_preset("zh")
    text = SAMPLE.read_text(encoding="utf-8") * 4
    w = Windowed(zh, window=4096, context=512)
    with Workers(zh, workers=2) as pool:
        out = "".join(
            w.clean(_pieces(text, 3000), lambda jobs: pool.map(clean_window_in_worker, jobs, 1))
        )
    assert out == zh(text)


@given(
    st.text(st.sampled_from("ab \n"), min_size=1, max_size=60),
    st.data(),
)
def test_map_positions_agrees_with_cleaning_the_prefix(text, data):
    # a clean position p lands where the edits before p put the end of text[:p]
    edits = Whitespace().edits(text)
    out = apply_edits(text, edits)
    p = data.draw(st.integers(0, len(text)))
    [(q, ok)], [(n,)] = map_positions([edits], [p])
    before = [e for e in edits if e.end <= p and not (e.start == e.end == p)]
    assert n == len(before)
    if ok:
        assert out[:q] == apply_edits(text[:p], before)
    else:
        crossing = edits[n]
        assert crossing.start < p < crossing.end


def test_map_positions_puts_an_insertion_after_the_position():
    [(q, ok)], _ = map_positions([[Edit(2, 2, "X")]], [2])
    assert (q, ok) == (2, True)  # "ab|Xcd": the position stays before the insertion


def test_windowed_rejects_a_window_smaller_than_its_context():
    with pytest.raises(ValueError, match="window >= 4 \\* context"):
        Windowed(Pipeline([]), window=100, context=50)


def test_a_long_jsonl_record_is_cleaned_in_windows(tmp_path, monkeypatch, capsys):
    import json

    import textwash.windows as windows
    from textwash.cli.main import main

    monkeypatch.setattr(windows, "LONG_TEXT", 10_000)
    cleaned = []
    real = windows.Windowed.clean

    def spy(self, pieces, mapper=None):
        out = "".join(real(self, pieces, mapper))
        cleaned.append(len(out))
        yield out

    monkeypatch.setattr(windows.Windowed, "clean", spy)
    text = SAMPLE.read_text(encoding="utf-8") * 3
    src = tmp_path / "a.jsonl"
    src.write_text(json.dumps({"text": text}, ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["clean", str(src), "-o", str(out), "--workers", "1", "--no-progress"]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["text"] == get_preset("zh")(text)
    assert len(cleaned) == 1  # the record went through the windows


def test_a_run_resumed_from_any_state_goes_on_with_the_same_text():
    zh = get_preset("zh")
    text = SAMPLE.read_text(encoding="utf-8") * 5
    w = Windowed(zh, window=4096, context=512)
    pieces, states = [], []
    for piece in w.clean(_pieces(text, 3000)):
        pieces.append(piece)
        states.append(w.state)
    whole = "".join(pieces)
    assert whole == zh(text) and len(states) > 5
    for k in (0, len(states) // 2, len(states) - 2):
        state = Resume.from_dict(json.loads(json.dumps(states[k].to_dict())))
        rest = "".join(
            Windowed(zh, window=4096, context=512).clean(_pieces(text, 2000), None, state)
        )
        assert "".join(pieces[: k + 1]) + rest == whole
