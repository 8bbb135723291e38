"""Defects the property tests found and that are not fixed yet, pinned as strict
expected failures (a fix makes them pass, and then they must become plain tests;
none is open today), and the ones fixed since, as plain regression tests.  Each is also listed in
docs/known-defects.md."""

from __future__ import annotations

import textwash
from tests.test_dedup_trust import assert_loss_free
from textwash.dedup import deduplicate
from textwash.normalizers import UnicodeRepair


def test_a_joiner_that_hid_mojibake_is_repaired_in_one_run():
    # found by tests/test_properties_dumps.py: the joiner went in the first run and
    # ftfy read "Â " as mojibake of a no-break space only in the second
    repair = UnicodeRepair()
    once = repair("\u200cÂ 㐀\n")
    assert once == "\xa0㐀\n" and repair(once) == once
    for preset in ("zh", "zh-hant", "minimal"):
        cleaned = textwash.clean("\u200cÂ 㐀\n", preset)
        assert textwash.clean(cleaned, preset) == cleaned


def test_lines_are_not_joined_into_a_lost_byte_marker():
    # found by tests/test_properties_dumps.py: LineRepair joined "…。屯" and "屯屯，…"
    # after UnicodeRepair had run, and the next run removed the "屯屯屯" it made
    text = "㐀㐀㐀㐀㐀㐀㐀㐀㐀㐀㐀㐀㐀㐀\n㐀㐀㐀㐀㐀㐀㐀㐀㐀㐀㐀㐀㐀㐀㐀，㐀㐀㐀㐀\n㐀，㐀，㐀。屯\n屯屯，㐀。\n"
    for preset in ("zh", "zh-hant"):
        cleaned = textwash.clean(text, preset)
        assert "屯\n屯屯" in cleaned  # not joined: no text lost to a marker
        assert textwash.clean(cleaned, preset) == cleaned


def test_deduplicate_cuts_no_sentence_a_near_copy_has_more_at_its_end():
    # found by tests/test_properties_dumps.py: after a first cut had left "做；" at the
    # start of a line, cleaning joined it to the line before, and that sentence was
    # cut as a near copy of the kept a, one character off, "做；" with it; an
    # alignment must now hold both ends of the sentence (misread, not added)
    a = "㑇一㑇㑇，㐀㐀㐀㐀㑇㑇㑇㑇㑇㑇㑇\n"
    b = "做；㐀㐀㐀㐀㐀㐀㐀㐀㐀㐀，㐀㐀㐀㐀㐀㐀㐀\n"
    docs = [a + b + "\n" + a + b + a + b + "\n"]
    out = deduplicate(docs)
    assert_loss_free(docs, out)
    assert all("做" not in r.text for r in out.removed)
    assert out.removed  # the copies that are held are still cut


def test_deduplicate_credits_a_repeated_sentence_to_its_own_copy():
    # found by make test's random hypothesis run on 2026-12-01: every sentence of the
    # block was found at the first place the kept copy holds it, so the two pairs
    # were credited to one, a span holding five of the block's seven characters;
    # now a passage's sentences are looked for in order
    pair = "㐀㐀\n㐀㐀㐀㐀㐀㐀㐀。\n"
    docs = [pair * 2 + "\n" + pair * 3 + "\n"]
    out = deduplicate(docs)
    assert_loss_free(docs, out)
    (cut,) = out.removed
    assert cut.text == pair * 2 + "\n"
    assert docs[0][cut.kept_start : cut.kept_end] == (pair * 2)[:-2]  # both pairs
