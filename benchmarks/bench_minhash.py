"""MinHash signature throughput: datasketch per unit, datasketch bulk, textwash vectorised.

Usage:  python benchmarks/bench_minhash.py [--passages 20000] [--chars 200] [--repeat 3]
        [--num-perm 128] [--seed 1] [--cpu 0] [--json FILE]

Builds deterministic Chinese-like pseudo-text (``--passages`` passages of
about ``--chars`` characters drawn from a fixed list of common Han characters
and punctuation) and times, best of ``--repeat`` runs, on one core (the
process is pinned to ``--cpu`` where the OS allows it):

**From text** (what a user pays to go from passages to signatures):

- datasketch ``MinHash.bulk`` over each passage's set of character 5-grams,
  encoded as UTF-8, with its default SHA-1 hash and with an xxhash
  (``xxh32_intdigest``) ``hashfunc`` — issue 4's reference points;
- textwash's path: ``token_array`` and ``ngram_hashes`` over documents of 50
  passages at a time (as ``find_duplicates`` does), each passage's unique
  5-gram hashes, then ``signatures_from_flat``.

**From shingle hashes** (the MinHash arithmetic alone, on the same ``set[int]``
of textwash 5-gram hashes, scheme ``"affine32"``, identity ``hashfunc``):

- datasketch ``MinHash(...).update_batch`` per passage and ``MinHash.bulk``;
- ``textwash.dedup.signatures.signatures``, alone and followed by
  ``to_lean_minhashes`` (objects ``MinHashLSH`` accepts), and
  ``signatures_from_flat`` on the already-flattened hashes.

The hash-value methods are checked to give identical values before timing.
xxhash is not a textwash dependency; the row is skipped when it is missing
(``make bench`` installs it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# one core: no helper threads in any numerical library
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import datasketch  # noqa: E402
import numpy as np  # noqa: E402
from datasketch import MinHash  # noqa: E402

from textwash.dedup.keys import ngram_hashes, shingles, token_array  # noqa: E402
from textwash.dedup.signatures import (  # noqa: E402
    signatures,
    signatures_from_flat,
    to_lean_minhashes,
)

#: Common Han characters and punctuation; the pseudo-text draws from these with a
#: Zipf-like skew so 5-grams repeat a little, as in real text.
CHARS = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下"
    "过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都"
    "两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重"
    "新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想"
    "已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知"
    "较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处府研群众警务安全治理"
    "，，，，。。、；：“”"
)


def pseudo_passages(n: int, chars: int, seed: int = 20240604) -> list[str]:
    """``n`` deterministic passages of ``chars`` ± 10% characters.

    >>> a = pseudo_passages(3, 200)
    >>> a == pseudo_passages(3, 200), all(180 <= len(p) <= 220 for p in a)
    (True, True)
    """
    rng = random.Random(seed)
    weights = [1.0 / (k + 8) for k in range(len(CHARS))]
    lo, hi = int(chars * 0.9), int(chars * 1.1)
    return ["".join(rng.choices(CHARS, weights, k=rng.randint(lo, hi))) for _ in range(n)]


def _identity(x: int) -> int:
    return x


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """Fastest of ``repeat`` runs of ``fn`` and the last result."""
    best, out = float("inf"), None
    for _ in range(max(1, repeat)):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def pin_to_one_core(cpu: int) -> str:
    setaff = getattr(os, "sched_setaffinity", None)
    if setaff is None:
        return "not pinned (no sched_setaffinity)"
    try:
        setaff(0, {cpu})
    except OSError as err:
        return f"not pinned ({err})"
    return f"pinned to cpu {cpu}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--passages", type=int, default=20_000)
    ap.add_argument("--chars", type=int, default=200, help="characters per passage (±10%%)")
    ap.add_argument("--num-perm", type=int, default=128)
    ap.add_argument("--seed", type=int, default=1, help="MinHash seed")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--per-unit-repeat", type=int, default=1, help="runs of the slow per-unit method"
    )
    ap.add_argument("--cpu", type=int, default=0, help="core to pin the process to")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)
    P, seed, n = args.num_perm, args.seed, args.passages

    pinned = pin_to_one_core(args.cpu)
    texts = pseudo_passages(n, args.chars)
    t_shingle, sets = best_of(1, lambda: [shingles(list(t), 5) for t in texts])
    n_sh = sum(map(len, sets))
    print(
        f"{n:,} passages, {sum(map(len, texts)) / n:.0f} chars each on average, "
        f"{n_sh / n:.0f} distinct 5-gram shingles each; num_perm={P}, seed={seed}"
    )
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"datasketch {datasketch.__version__}, {platform.machine()}, {pinned}"
    )

    def from_text_ours() -> np.ndarray:
        parts: list[np.ndarray] = []
        lengths: list[int] = []
        for d in range(0, n, 50):
            doc = texts[d : d + 50]
            text = "\n".join(doc)
            toks = token_array(text)
            hashes = ngram_hashes(toks.ids, 5, whole=False)
            ends = np.cumsum([len(t) + 1 for t in doc])
            bounds = np.searchsorted(toks.start, np.concatenate([[0], ends]))
            for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
                u = np.unique(hashes[lo : hi - 4]) if hi - lo >= 5 else hashes[:0]
                parts.append(u)
                lengths.append(u.size)
        offs = np.concatenate([[0], np.cumsum(lengths)])
        return signatures_from_flat(np.concatenate(parts), offs, num_perm=P, seed=seed)

    def char_grams(t: str) -> list[bytes]:
        return [g.encode("utf-8") for g in {t[i : i + 5] for i in range(len(t) - 4)}]

    def from_text_ds_sha1() -> list[MinHash]:
        return MinHash.bulk([char_grams(t) for t in texts], num_perm=P, seed=seed)

    try:
        import xxhash
    except ImportError:
        xxhash = None

    def from_text_ds_xxhash() -> list[MinHash]:
        assert xxhash is not None
        return MinHash.bulk(
            [char_grams(t) for t in texts], num_perm=P, seed=seed, hashfunc=xxhash.xxh32_intdigest
        )

    flat = np.fromiter((h for s in sets for h in s), dtype=np.uint32, count=n_sh)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum([len(s) for s in sets], out=offsets[1:])

    def per_unit() -> list[MinHash]:
        out = []
        for s in sets:
            m = MinHash(num_perm=P, seed=seed, hashfunc=_identity)
            m.update_batch(s)
            out.append(m)
        return out

    def bulk_sets() -> list[MinHash]:
        return MinHash.bulk(sets, num_perm=P, seed=seed, hashfunc=_identity)

    def bulk_sorted() -> list[MinHash]:
        return MinHash.bulk([sorted(s) for s in sets], num_perm=P, seed=seed, hashfunc=_identity)

    def ours() -> np.ndarray:
        return signatures(sets, num_perm=P, seed=seed)

    def ours_lean() -> list[Any]:
        return to_lean_minhashes(signatures(sets, num_perm=P, seed=seed), seed=seed)

    def ours_flat() -> np.ndarray:
        return signatures_from_flat(flat, offsets, num_perm=P, seed=seed)

    # correctness first: every method gives the same hash values
    reference = np.stack([m.hashvalues for m in bulk_sets()])
    assert reference.dtype == np.uint32
    assert np.array_equal(ours(), reference), "signatures() differs from datasketch"
    assert np.array_equal(ours_flat(), reference), "signatures_from_flat() differs"
    assert np.array_equal(np.stack([m.hashvalues for m in ours_lean()]), reference)
    k = min(n, 500)
    check = [MinHash(num_perm=P, seed=seed, hashfunc=_identity) for _ in range(k)]
    for m, s in zip(check, sets, strict=False):
        m.update_batch(s)
    assert np.array_equal(np.stack([m.hashvalues for m in check]), reference[:k])
    print("hash values: identical to datasketch for every passage and method")
    print()

    methods: list[tuple[str, str, Callable[[], Any], int]] = [
        ("text_ds_sha1", "from text: datasketch `MinHash.bulk`, char 5-grams, SHA-1",
         from_text_ds_sha1, args.repeat),
        *([("text_ds_xxhash", "from text: datasketch `MinHash.bulk`, char 5-grams, xxhash",
            from_text_ds_xxhash, args.repeat)] if xxhash is not None else []),
        ("text_textwash", "from text: textwash tokens + `ngram_hashes` + signatures",
         from_text_ours, args.repeat),
        ("ds_update_batch", "datasketch `MinHash().update_batch` per passage", per_unit,
         args.per_unit_repeat),
        ("ds_bulk_sorted", "datasketch `MinHash.bulk`, sorted lists (what find.py did first)",
         bulk_sorted, args.repeat),
        ("ds_bulk", "datasketch `MinHash.bulk`, identity hashfunc on the sets", bulk_sets,
         args.repeat),
        ("signatures", "textwash `signatures(sets)`", ours, args.repeat),
        ("signatures_lean", "textwash `signatures` + `to_lean_minhashes`", ours_lean,
         args.repeat),
        ("signatures_flat", "textwash `signatures_from_flat` (hashes already in NumPy)",
         ours_flat, args.repeat),
    ]  # fmt: skip
    results: dict[str, Any] = {
        "passages": n,
        "shingles_per_passage": n_sh / n,
        "num_perm": P,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "datasketch": datasketch.__version__,
        "pinned": pinned,
        "shingling_seconds": t_shingle,
        "methods": {},
    }
    rates: dict[str, float] = {}
    print("| method | seconds | passages/s | × bulk |")
    print("|---|---:|---:|---:|")
    for key, label, fn, rep in methods:
        secs, _ = best_of(rep, fn)
        rates[key] = n / secs
        results["methods"][key] = {"label": label, "seconds": secs, "passages_per_s": n / secs}
    for key, label, _, _ in methods:
        r = rates[key]
        secs = results["methods"][key]["seconds"]
        print(f"| {label} | {secs:.3f} | {r:,.0f} | {r / rates['ds_bulk']:.1f}× |")
    print()
    ratio = rates["signatures"] / rates["ds_bulk"]
    ratio_lean = rates["signatures_lean"] / rates["ds_bulk"]
    print(
        f"signatures / datasketch bulk: {ratio:.1f}× "
        f"({ratio_lean:.1f}× with LeanMinHash objects for MinHashLSH)"
    )
    print(
        f"shingling with textwash.dedup.keys.shingles, one passage at a time: "
        f"{t_shingle:.2f} s = {n / t_shingle:,.0f} passages/s"
    )
    end_to_end = n / (t_shingle + results["methods"]["signatures_lean"]["seconds"])
    end_to_end_ds = n / (t_shingle + results["methods"]["ds_bulk"]["seconds"])
    print(
        f"Python shingles -> LSH-ready sketches: {end_to_end:,.0f} passages/s "
        f"(datasketch bulk: {end_to_end_ds:,.0f})"
    )
    if "text_ds_xxhash" in rates:
        print(
            f"from text, textwash / datasketch bulk with xxhash: "
            f"{rates['text_textwash'] / rates['text_ds_xxhash']:.1f}× "
            f"(issue 4's floor: 3×)"
        )
        results["ratio_text_vs_xxhash_bulk"] = rates["text_textwash"] / rates["text_ds_xxhash"]
    results["ratio_vs_bulk"] = ratio
    results["ratio_lean_vs_bulk"] = ratio_lean
    results["end_to_end_passages_per_s"] = end_to_end
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
