"""DedupConfig: one validated set of options for the library, the command line and the report."""

from __future__ import annotations

import dataclasses

import pytest
from datasketch import MinHashLSH

from textwash.cli.main import main
from textwash.dedup import DuplicateReport, deduplicate, find_duplicates
from textwash.dedup.config import DedupConfig

A = "公安机关的群众工作是党的群众工作的重要方面，也是公安工作的光荣传统和政治优势。"
B = A.replace("光荣传统", "优良传统")


def test_defaults_and_the_lsh_parameters_come_from_datasketch():
    c = DedupConfig()
    assert c.near_threshold == 0.8 and c.lsh_threshold == 0.7
    lsh = MinHashLSH(threshold=0.7, num_perm=128)
    assert (c.bands, c.rows) == (lsh.b, lsh.r)
    low = DedupConfig(near_threshold=0.35)
    assert low.lsh_threshold == 0.3  # never below 0.3
    assert DedupConfig(lsh_threshold=0.5, num_perm=64).bands == MinHashLSH(0.5, 64).b


def test_config_is_frozen_and_equal_by_value():
    c = DedupConfig(ngram=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.ngram = 4  # type: ignore[misc]
    assert c == DedupConfig(ngram=3) and hash(c) == hash(DedupConfig(ngram=3))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"near_threshold": 0}, "near_threshold must be in (0, 1]"),
        ({"near_threshold": 1.5}, "near_threshold must be in (0, 1]"),
        ({"lsh_threshold": 0.0}, "lsh_threshold must be in (0, 1]"),
        ({"containment_threshold": 2}, "containment_threshold must be in (0, 1]"),
        ({"ngram": 0}, "ngram must be at least 1"),
        ({"num_perm": 1}, "num_perm must be at least 2"),
        ({"window": 0}, "window must be at least 1"),
        ({"keep": "last"}, "keep must be one of 'best', 'first', 'longest'"),
        ({"unit": "page"}, "unknown unit 'page'"),
        ({"containment_ratio": 0.5}, "containment_ratio must be at least 1"),
    ],
)
def test_bad_values_are_refused_with_the_option_named(options, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        DedupConfig(**options)
    with pytest.raises(ValueError):
        find_duplicates([A], **options)


def test_wrong_types_and_unknown_options_are_refused():
    with pytest.raises(TypeError, match="ngram must be a whole number"):
        DedupConfig(ngram=2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="near_threshold must be a number"):
        DedupConfig(near_threshold="0.8")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unknown dedup option 'treshold'"):
        find_duplicates([A], treshold=0.5)
    with pytest.raises(TypeError, match="given twice"):
        DedupConfig.from_options(threshold=0.5, near_threshold=0.6)


def test_the_former_name_threshold_means_near_threshold():
    assert DedupConfig.from_options(threshold=0.6) == DedupConfig(near_threshold=0.6)
    # changing the near threshold moves a derived LSH threshold, not one set by hand
    assert DedupConfig.from_options(DedupConfig(), near_threshold=0.9).lsh_threshold == 0.8
    hand = DedupConfig(lsh_threshold=0.4)
    assert DedupConfig.from_options(hand, near_threshold=0.9).lsh_threshold == 0.4


def test_a_config_and_keywords_give_the_same_report():
    docs = [A, "前言。\n\n" + B]
    by_config = find_duplicates(docs, DedupConfig(near_threshold=0.5, keep="first"))
    by_words = find_duplicates(docs, near_threshold=0.5, keep="first")
    assert by_config.clusters and by_config.to_dict()["clusters"] == by_words.to_dict()["clusters"]
    assert by_config.params["near_threshold"] == 0.5
    assert by_config.params["lsh_threshold"] == 0.4
    assert (by_config.params["lsh_bands"], by_config.params["lsh_rows"]) == (
        DedupConfig(near_threshold=0.5).bands,
        DedupConfig(near_threshold=0.5).rows,
    )
    # a config and a keyword on top of it
    strict = find_duplicates(docs, DedupConfig(near_threshold=0.5), near_threshold=0.99)
    assert not strict.clusters
    out = deduplicate(docs, DedupConfig(near_threshold=0.5, keep="first"))
    assert out.report.params["keep"] == "first" and out.removed


def test_command_line_builds_the_same_config(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(A + "\n", encoding="utf-8")
    b.write_text(B + "\n", encoding="utf-8")
    report = tmp_path / "r.json"
    args = [str(a), str(b), "--report", str(report), "--no-progress"]
    assert main(["dedup", *args, "--near-threshold", "0.5", "--lsh-threshold", "0.45"]) == 0
    params = DuplicateReport.from_json(report.read_text(encoding="utf-8")).params
    assert params["near_threshold"] == 0.5 and params["lsh_threshold"] == 0.45
    assert main(["dedup", *args, "--threshold", "0.6", "--num-perm", "64", "--seed", "3"]) == 0
    params = DuplicateReport.from_json(report.read_text(encoding="utf-8")).params
    expected = DedupConfig(near_threshold=0.6, num_perm=64, seed=3).params()
    assert {k: params[k] for k in expected} == expected
