"""find_duplicates / deduplicate: keys, shingles, LSH, clusters, containment, reports."""

from __future__ import annotations

import json

import numpy as np
import pytest
from datasketch import MinHashLSH

from textwash.dedup import DuplicateReport, deduplicate, find_duplicates
from textwash.dedup.containment import candidate_pairs
from textwash.dedup.keys import exact_key, ngram_hashes, shingles, token_array, token_id, tokenize
from textwash.dedup.ragged import Ragged
from textwash.dedup.unionfind import UnionFind
from textwash.segment import Document

P1 = "公安机关的群众工作是党的群众工作的重要方面，也是公安工作的光荣传统，必须长期坚持下去。"
P2 = "社区图书馆每天早上八点开门，晚上九点闭馆，周末延长开放时间，方便上班族借阅图书和查阅资料。"
P3 = "学校要定期开展消防演练，让每一名学生都熟悉疏散路线，掌握基本的自救和互救方法，防患于未然。"
LONG = (
    "总结全年工作，我们有几点体会。"
    "首先是坚持问题导向，对群众反映强烈的难点逐一梳理并限期解决。"
    "社区图书馆每天早上八点开门晚上九点闭馆周末延长开放时间方便上班族借阅图书查阅资料。"
    "其次是加强队伍建设，定期组织业务培训，提高服务水平和办事效率。"
    "最后是完善考核机制，把群众满意度作为衡量工作成效的主要标准，推动各项任务落到实处。"
)


def members(report):
    return [[(m.doc_id, m.measure) for m in c.members] for c in report.clusters]


def test_tokenize_folds_script_case_and_the_width_of_numbers_not_their_values():
    assert [t for t, _, _ in tokenize("後來 Windows １０,發布")] == [
        "后",
        "来",
        "windows",
        "10",
        "发",
        "布",
    ]
    a = exact_key([t for t, _, _ in tokenize("社 会 、经 济,發展 1,200")])
    b = exact_key([t for t, _, _ in tokenize("社会、经济，发展 １２００")])
    c = exact_key([t for t, _, _ in tokenize("社会、经济，发展 1999")])
    assert a == b != c


def test_shingles_are_token_ngrams():
    toks = list("公安机关群众工作")
    assert len(shingles(toks, 5)) == 4
    assert len(shingles(toks, 20)) == 1  # shorter than one shingle: one shingle of it all
    assert shingles(toks, 5) == shingles(list("公安机关群众工作"), 5)


def test_token_array_is_tokenize_as_arrays():
    for para in [
        P1,
        LONG,
        "後來 Windows 10,發布",
        "",
        "ＡＢ 12a🙂",
        "乾隆皇帝 ok 2023年",
        "𠀀𠀁 x",
    ]:
        toks = tokenize(para)
        arr = token_array(para)
        assert arr.ids.tolist() == [token_id(t) for t, _, _ in toks]
        assert arr.start.tolist() == [s for _, s, _ in toks]
        assert arr.end.tolist() == [e for _, _, e in toks]


def test_the_fold_table_is_opencc_one_character_at_a_time():
    from textwash.dedup import keys

    table = keys._bmp_fold()
    han = [c for c in range(0x10000) if not 0xD800 <= c < 0xE000 and keys._HAN.match(chr(c))]
    assert len(han) > 20000
    changed = [c for c in han if table[c] != c]
    assert 2000 < len(changed) < 6000  # the traditional characters, not every character
    assert [int(table[c]) for c in han] == [ord(keys._fold_char(chr(c))) for c in han]
    assert keys._fold("後來發佈") == "后来发布"


def test_ngram_hashes_of_a_window_do_not_depend_on_its_surroundings():
    ids = token_array("在新形势下如何做好群众工作是公安机关面临的重要课题").ids
    whole = ngram_hashes(ids, 5)
    assert whole.size == ids.size - 4
    for k in range(whole.size):
        assert ngram_hashes(ids[k : k + 5], 5).tolist() == [whole[k]]
    assert ngram_hashes(ids[:3], 5).size == 1  # short: one hash of all of it
    assert ngram_hashes(ids[:3], 5, whole=False).size == 0
    assert ngram_hashes(ids[::-1], 5)[0] not in set(whole.tolist())  # order matters


def test_candidate_pairs_miss_no_pair_above_the_threshold():
    rng = np.random.default_rng(7)
    vocab = np.arange(400, dtype=np.uint32)
    sets = [np.unique(rng.choice(vocab, size=rng.integers(0, 60))) for _ in range(150)]
    # plant containments: subsets of other sets with a few extra elements
    for k in range(0, 150, 5):
        src = sets[(k * 7 + 3) % 150]
        part = rng.choice(src, size=int(src.size * rng.uniform(0.5, 1.0)), replace=False)
        sets[k] = np.unique(np.concatenate([part, rng.choice(vocab, size=3)]))
    ragged = Ragged(np.uint32)
    ragged.extend(np.concatenate(sets), [s.size for s in sets])
    ragged.freeze()
    sizes = np.array([s.size for s in sets])
    query = np.ones(len(sets), dtype=bool)
    query[::4] = False
    rows = np.ones(len(sets), dtype=bool)
    rows[::7] = False
    for threshold in (0.6, 0.8, 0.95):
        pairs = candidate_pairs(ragged, rows, sizes, query & rows, threshold)
        got = {tuple(p) for p in pairs.tolist()}
        want = {
            (a, b)
            for a in range(len(sets))
            for b in range(len(sets))
            if a != b
            and query[a]
            and rows[a]
            and rows[b]
            and sets[a].size
            and sizes[b] >= sizes[a]
            and np.intersect1d(sets[a], sets[b]).size >= threshold * sets[a].size
        }
        assert want, threshold
        assert want <= got, threshold  # exact: every pair above the threshold is proposed
        assert len(got) < len(sets) * (len(sets) - 1) / 4  # and it does filter


def test_union_find_groups_are_deterministic():
    uf = UnionFind(6)
    for a, b in [(4, 2), (5, 0), (2, 1)]:
        uf.union(a, b)
    assert uf.groups() == [[0, 5], [1, 2, 4], [3]]


def test_exact_duplicates_across_and_within_documents():
    docs = [P1 + "\n\n" + P2, ("b", P3 + "\n\n" + P1.replace("，", ",")), ("c", P2 + "\n\n" + P2)]
    report = find_duplicates(docs)
    got = sorted(members(report))
    assert [("0", "exact"), ("b", "exact")] in got
    assert [("0", "exact"), ("c", "exact"), ("c", "exact")] in got
    assert all(c.kind == "exact" for c in report.clusters)


def test_every_member_span_slices_the_raw_input():
    raw = "标题\n\n标题\n\n" + P1.replace("，", ",") + "\n\n" + P2 + "\n\n" + "社 区" + P2[2:]
    report = find_duplicates([("x", raw), ("y", P1)])
    assert report.clusters
    for c in report.clusters:
        for m in c.members:
            assert m.text == {"x": raw, "y": P1}[m.doc_id][m.start : m.end]
            assert m.line == {"x": raw, "y": P1}[m.doc_id].count("\n", 0, m.start) + 1


def test_near_duplicates_are_verified_with_exact_jaccard():
    long_p = P3 + P2
    edited = long_p.replace("疏散路线", "逃生路线")
    report = find_duplicates([long_p, edited, P1], threshold=0.7)
    near = [c for c in report.clusters if c.kind == "near"]
    assert len(near) == 1
    copy = near[0].members[1]
    assert copy.measure == "jaccard"
    assert 0.7 <= copy.similarity < 1.0
    assert find_duplicates([long_p, edited], threshold=0.95).clusters == []


def test_function_words_dropped_still_match():
    stripped = P1.replace("的", "").replace("是", "").replace("也", "")
    report = find_duplicates([P1, stripped])
    assert [m.measure for m in report.clusters[0].members] == ["exact", "jaccard"]
    assert find_duplicates([P1, stripped], drop_function_words=False).clusters == []


def test_a_sentence_added_is_a_copy_by_overlap():
    longer = P3 + "各班主任要把演练情况记录在案，并及时向学校报告。"
    [c] = find_duplicates([P3, longer]).clusters
    # about the same length: a near copy (issue 11), measured by the overlap coefficient
    assert (c.kind, c.members[1].link, c.members[1].measure) == ("near", "near", "overlap")
    assert c.members[1].similarity == 1.0


def test_lsh_parameters_are_recorded_and_match_datasketch():
    report = find_duplicates([P1, P2], threshold=0.8)
    p = report.params
    expected = MinHashLSH(threshold=0.7, num_perm=128)
    assert (p["lsh_threshold"], p["lsh_bands"], p["lsh_rows"]) == (0.7, expected.b, expected.r)


def test_short_units_do_not_collapse_into_one_cluster():
    # Units shorter than one shingle must not share a signature (a peer's known bug):
    # distinct short lines stay apart, identical ones pair up line by line.
    lines = "\n\n".join(
        ["一是研究群众工作。", "二是保护群众利益。", "三是争取群众支持。", "四是帮助群众解难。"]
    )
    assert find_duplicates([lines]).clusters == []
    report = find_duplicates([lines, lines])
    assert sorted(len(c) for c in report.clusters) == [2, 2, 2, 2]
    # short lines one after the other (a list, a table) are one block (issue 16)
    listed = lines.replace("\n\n", "\n")
    report = find_duplicates([listed, listed])
    assert [(m.line, m.end_line) for m in report.clusters[0].members] == [(1, 4), (1, 4)]


def test_containment_of_a_paragraph_with_function_words_dropped():
    report = find_duplicates([("short", P2), ("long", LONG)])
    assert len(report.clusters) == 1
    c = report.clusters[0]
    assert c.kind == "containment"
    kept, copy = c.members
    assert (kept.doc_id, copy.doc_id, copy.measure) == ("short", "long", "containment")
    assert copy.similarity >= 0.6
    assert LONG[copy.start : copy.end].startswith("社区图书馆") and "查阅资料" in copy.text
    assert find_duplicates([("short", P2), ("long", LONG)], containment=False).clusters == []


def test_keep_policies():
    longer = P1 + "此外，还要不断创新工作方法。"
    first = find_duplicates([P1, longer], threshold=0.6, keep="first")
    assert first.clusters[0].kept.doc_id == "0"
    best = find_duplicates([P1, longer], threshold=0.6)  # the default, "best": no defects, longer
    assert best.params["keep"] == "best" and best.clusters[0].kept.doc_id == "1"
    longest = find_duplicates([P1, longer], threshold=0.6, keep="longest")
    assert longest.clusters[0].kept.doc_id == "1"


def test_reports_are_deterministic_and_round_trip(tmp_path):
    docs = [P1 + "\n\n" + P2, P2 + "\n\n" + P3, LONG, P1]
    a = find_duplicates(docs)
    b = find_duplicates(docs)
    assert a.clusters == b.clusters
    assert [c.id for c in a.clusters] == [f"c{n:04d}" for n in range(1, len(a.clusters) + 1)]
    path = tmp_path / "dup.json"
    assert a.to_json(path) == ""  # streamed to the file, a cluster at a time
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == json.loads(a.to_json())  # the same data as the string
    assert data == json.loads(json.dumps(a.to_dict()))
    assert data["schema"] == "textwash.duplicates" and data["version"] == 1
    assert DuplicateReport.from_json(path.read_text(encoding="utf-8")).clusters == a.clusters
    a.to_json(path, indent=None)
    assert json.loads(path.read_text(encoding="utf-8")) == data
    empty = DuplicateReport([], {"unit": "paragraph"}, {})
    empty.to_json(path)
    assert json.loads(path.read_text(encoding="utf-8"))["clusters"] == []
    assert "clusters" in a.summary() and "duplicated characters" in a.summary()


def test_input_forms_and_errors():
    doc = Document("mine", P1, source="a.txt")
    report = find_duplicates([doc, ("other", P1)])
    assert [m.source for m in report.clusters[0].members] == ["a.txt", None]
    with pytest.raises(ValueError, match="duplicate doc_id"):
        find_duplicates([("a", P1), ("a", P2)])
    with pytest.raises(TypeError, match="document 0"):
        find_duplicates([42])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="unknown unit"):
        find_duplicates([P1], unit="chapter")


def test_deduplicate_removes_later_copies_and_records_them():
    docs = [("a", P1 + "\n\n" + P2), ("b", "引言。\n\n" + P2 + "\n\n" + P3)]
    out = deduplicate(docs)
    assert [d.text for d in out.documents] == [P1 + "\n\n" + P2, "引言。\n\n" + P3]
    [r] = out.removed
    assert (r.doc_id, r.line, r.kept_doc_id, r.kept_line, r.text) == ("b", 3, "a", 3, P2 + "\n\n")


def test_seed_three_versions_are_linked(seed_text):
    report = find_duplicates([seed_text])

    def version(line: int) -> str | None:
        if 165 <= line <= 191:
            return "clean"
        if line == 329:
            return "run-on"
        if 599 <= line <= 660:
            return "wrapped"
        return None

    linked = set()
    for c in report.clusters:
        vs = {version(m.line) for m in c.members} - {None}
        if len(vs) > 1:
            linked |= {frozenset(p) for p in [vs]}
    assert frozenset({"clean", "run-on", "wrapped"}) in linked


def test_seed_word_for_word_paragraphs_are_one_cluster(seed_text):
    report = find_duplicates([seed_text])
    by_line = {m.line: c.id for c in report.clusters for m in c.members}
    assert by_line[17] == by_line[77]  # 长期以来的公安实践证明… in two essays
    assert by_line[171] == by_line[605]


def test_seed_same_title_different_essays_are_not_copies(seed_text):
    report = find_duplicates([seed_text])
    for c in report.clusters:
        sections = {
            m.section for m in c.members if m.title == "浅谈在新时期下基层公安机关如何做好群众工作"
        }
        assert len(sections) < 2, c


def test_workers_give_the_same_report():
    docs = [P1 + "\n\n" + P2, P2 + "\n\n" + P3, LONG, P1, "引言。\n\n" + P3]
    one = find_duplicates(docs, workers=1)
    two = find_duplicates(docs, workers=2)
    assert one.clusters == two.clusters and one.clusters


def test_load_text_lets_raw_texts_go_and_quotes_them_again():
    docs = {
        "a": P1 + "\n\n" + LONG,
        "b": "前言。\n\n" + P1.replace("，", ","),
        "c": P2 + "\n\n" + P3,
        "d": "这一段独一无二，没有在任何别的地方出现过，也不会被报告引用。",
    }
    calls = []

    def load(doc):
        calls.append(doc.doc_id)
        return docs[doc.doc_id]

    lazy = ((k, v) for k, v in docs.items())  # a generator: read once, lazily
    streamed = find_duplicates(lazy, load_text=load)
    whole = find_duplicates(list(docs.items()))
    assert streamed.clusters == whole.clusters  # (the timings in stats differ)
    assert streamed.clusters and streamed.stats["units"] == whole.stats["units"]
    quoted = {m.doc_id for c in whole.clusters for m in c.members}
    assert "d" not in quoted
    assert sorted(calls) == sorted(quoted)  # once each, only documents the report quotes


def test_workers_read_their_input_lazily():
    from textwash.parallel import Workers

    pulled = []

    def source():
        for i in range(400):
            pulled.append(i)
            yield P1 * (i % 3 + 1)

    with Workers(None, workers=2) as pool:
        results = pool.map(len, source(), chunk=4)
        first = next(results)
        assert len(pulled) <= 2 * 2 * 4 + 4  # a bounded window, not the whole input
        rest = list(results)
    assert [first, *rest] == [len(P1) * (i % 3 + 1) for i in range(400)]


def test_candidate_pairs_are_the_same_when_expanded_in_small_pieces(tmp_path):
    rng = np.random.default_rng(11)
    sets = [np.unique(rng.choice(np.arange(120, dtype=np.uint32), size=40)) for _ in range(80)]
    ragged = Ragged(np.uint32)
    ragged.extend(np.concatenate(sets), [s.size for s in sets])
    ragged.freeze()
    sizes = np.array([s.size for s in sets])
    everyone = np.ones(len(sets), dtype=bool)
    whole = candidate_pairs(ragged, everyone, sizes, everyone, 0.6)
    # a budget of a few hundred bytes: parts of a few shingles, chunks of a unit or two
    for memory in (300, 3_000):
        pieces = candidate_pairs(
            ragged, everyone, sizes, everyone, 0.6, work_dir=tmp_path, memory=memory
        )
        assert whole.size and np.array_equal(pieces, whole)
