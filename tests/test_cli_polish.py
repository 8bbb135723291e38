"""The finish of the command line and the package: ``python -m textwash``, shell
completion, ``--decode-errors``, ``--include``/``--exclude``, logging, configs
that name a user's own steps, and clear JSON error messages.

Every test runs the real command (in-process through ``main()``, or as a
subprocess) on real files in a temporary folder.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import textwash
from textwash import Pipeline
from textwash.cli.journal import JOURNAL_NAME
from textwash.cli.main import build_parser, main
from textwash.io import read_file
from textwash.io.stream import open_text

ROOT = Path(__file__).resolve().parents[1]
RAW = "近年来,随着社 会 、经 济的发展,群众的需求日益增长.\n"
CLEAN = "近年来，随着社会、经济的发展，群众的需求日益增长。\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"
#: UTF-8 text with one stray byte (0xff can start no UTF-8 character) in its second line.
STRAY = RAW.encode() + "社区图书馆每天早上八点开门".encode() + b"\xff" + "晚上九点闭馆。\n".encode()


def files_in(folder: Path) -> list[str]:
    """The files written below ``folder`` (not the hidden run journal)."""
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    )


def put(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def run(capsys, *argv: str | Path) -> tuple[int, str, str]:
    progress = [] if argv[0] == "completion" else ["--no-progress"]
    code = main([*map(str, argv), *progress])
    out, err = capsys.readouterr()
    return code, out, err


def textwash_process(*argv: str, cwd: Path, env: dict[str, str] | None = None):
    """``python -m textwash ARGV`` in ``cwd``, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "textwash", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


# -- python -m textwash, --version ---------------------------------------------------


def test_python_m_textwash_version(tmp_path):
    done = textwash_process("--version", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"textwash {textwash.__version__}\n"


def test_python_m_textwash_cleans_a_file(tmp_path):
    src = put(tmp_path / "a.txt", RAW)
    done = textwash_process("clean", "a.txt", "--no-progress", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == CLEAN
    assert done.stderr == "a.txt: utf-8\n"
    assert src.read_text(encoding="utf-8") == RAW


# -- shell completion ------------------------------------------------------------------


def bash_complete(script: Path, *words: str) -> list[str]:
    """What the completion script offers after ``words`` (the last one being typed)."""
    quoted = " ".join(f"'{w}'" for w in words)
    probe = (
        f"source {script}\n"
        f"COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}\n"
        "_textwash\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", probe],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=script.parent,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completion_script_parses_and_completes(tmp_path, capsys):
    code, out, _ = run(capsys, "completion", "bash")
    assert code == 0
    script = put(tmp_path / "textwash.bash", out)
    check = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    assert {"clean", "dedup", "completion", "--version"} <= set(
        bash_complete(script, "textwash", "")
    )
    assert bash_complete(script, "textwash", "clean", "--pre") == ["--preset"]
    assert bash_complete(script, "textwash", "clean", "--preset", "zh") == ["zh", "zh-hant"]
    assert bash_complete(script, "textwash", "dedup", "--keep", "") == ["best", "first", "longest"]
    assert bash_complete(script, "textwash", "clean", "--decode-errors", "r") == ["replace"]
    put(tmp_path / "dump.txt", RAW)
    assert bash_complete(script, "textwash", "clean", "du") == ["dump.txt"]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_completion_script_parses(tmp_path, capsys):
    code, out, _ = run(capsys, "completion", "zsh")
    assert code == 0
    script = put(tmp_path / "_textwash", out)
    check = subprocess.run(["zsh", "-n", str(script)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


ZSH_SESSION = """\
zmodload zsh/zpty
zpty z 'PS1="> " TERM=dumb zsh -f -i'
zpty -w z 'fpath=({fpath} $fpath); autoload -U compinit; compinit -u; PATH={bin}:$PATH'
zpty -w -n z $'{line}\t'
sleep 1
zpty -w -n z $'\t'
sleep 1
out=""
while zpty -r -t z chunk 2>/dev/null; do out+=$chunk; done
print -r -- "$out"
zpty -d z
"""


def zsh_complete(folder: Path, line: str) -> str:
    """What an interactive zsh shows after ``line`` and two tabs (zpty drives it)."""
    session = ZSH_SESSION.format(fpath=folder, bin=Path(sys.executable).parent, line=line)
    done = subprocess.run(
        ["zsh", "-f", "-c", session], capture_output=True, text=True, timeout=60, cwd=folder
    )
    return done.stdout.replace("\r", "")


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_completes_options_and_their_values_in_a_real_zsh(tmp_path, capsys):
    code, out, _ = run(capsys, "completion", "zsh")
    assert code == 0
    put(tmp_path / "_textwash", out)
    shown = zsh_complete(tmp_path, "textwash dedup --eng")
    assert "textwash dedup --engine " in shown
    assert re.search(r"^local +ray$", shown, re.M), shown
    shown = zsh_complete(tmp_path, "textwash cle")
    assert "textwash clean " in shown, shown


def test_completion_scripts_follow_the_parser(capsys):
    """Every option of every subcommand is offered, so the script cannot fall behind."""
    code, bash, _ = run(capsys, "completion", "bash")
    assert code == 0
    code, zsh, _ = run(capsys, "completion", "zsh")
    assert code == 0
    assert zsh.startswith("#compdef textwash\n")
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, command in sub.choices.items():
        assert f"        {name})" in bash
        assert f"                {name})" in zsh
        for action in command._actions:
            for flag in action.option_strings:
                assert re.search(f"[' ]{flag}[ ']", bash), (name, flag)
                assert flag in zsh, (name, flag)


def test_completion_for_an_unknown_shell_is_a_usage_error(capsys):
    code, out, err = run(capsys, "completion", "fish")
    assert code == 2
    assert out == ""
    assert "invalid choice: 'fish'" in err


# -- --include / --exclude ---------------------------------------------------------------


@pytest.fixture
def mixed(tmp_path) -> Path:
    """A scraped folder: two texts, a PNG, a JSONL file, and a drafts folder."""
    root = tmp_path / "corpus"
    put(root / "a.txt", RAW)
    put(root / "logo.png", PNG)
    put(root / "sub" / "b.txt", RAW * 2)
    put(root / "sub" / "c.jsonl", json.dumps({"text": RAW}, ensure_ascii=False) + "\n")
    put(root / "drafts" / "d.txt", RAW)
    return root


def test_a_png_in_a_folder_fails_the_run_unless_excluded(mixed, tmp_path, capsys):
    code, _, err = run(capsys, "clean", mixed, "-o", tmp_path / "out1")
    assert code == 1
    assert "logo.png:3: looks binary (NUL byte at byte 8)" in err

    out = tmp_path / "out2"
    code, _, err = run(capsys, "clean", mixed, "-o", out, "--exclude", "*.png")
    assert code == 0, err
    assert "logo.png" not in err
    written = files_in(out)
    assert written == ["a.txt", "drafts/d.txt", "sub/b.txt", "sub/c.jsonl"]
    assert (out / "sub" / "b.txt").read_text(encoding="utf-8") == CLEAN * 2


def test_include_and_exclude_globs_on_names_paths_and_folders(mixed, tmp_path, capsys):
    out = tmp_path / "out"
    code, _, err = run(
        capsys, "clean", mixed, "-o", out, "--include", "*.txt", "--exclude", "drafts"
    )
    assert code == 0, err
    written = files_in(out)
    assert written == ["a.txt", "sub/b.txt"]
    out = tmp_path / "out-paths"
    code, _, err = run(capsys, "clean", mixed, "-o", out, "--include", "sub/*")
    assert code == 0, err
    written = files_in(out)
    assert written == ["sub/b.txt", "sub/c.jsonl"]


def test_a_file_named_directly_is_read_whatever_the_globs(mixed, tmp_path, capsys):
    code, out, err = run(capsys, "clean", mixed / "a.txt", "--exclude", "*.txt")
    assert code == 0, err
    assert out == CLEAN


def test_dedup_takes_the_same_globs(mixed, tmp_path, capsys):
    code, out, err = run(capsys, "dedup", mixed, "--exclude", "*.png", "--exclude", "drafts")
    assert code == 0, err
    report = json.loads(out)
    assert report["stats"]["documents"] == 3
    assert "logo.png" not in err and "drafts" not in err


def test_everything_excluded_is_no_input(mixed, capsys):
    code, _, err = run(capsys, "clean", mixed, "--explain", "--include", "*.pdf")
    assert code == 0
    assert "no input files found" in err


# -- --decode-errors -------------------------------------------------------------------------


def test_a_stray_byte_rejects_the_file_unless_replaced(tmp_path, capsys):
    src = put(tmp_path / "in" / "a.txt", STRAY)
    code, out, err = run(capsys, "clean", src)
    assert code == 1
    assert out == ""
    assert "a.txt" in err and "0xff" in err

    code, out, err = run(capsys, "clean", src, "--decode-errors", "replace")
    assert code == 0, err
    assert out == CLEAN + "社区图书馆每天早上八点开门\ufffd晚上九点闭馆。\n"
    assert err == (
        f"{src}: utf-8, 1 undecodable byte sequence replaced by U+FFFD\n"
        "textwash: 1 undecodable byte sequence replaced by U+FFFD in 1 file\n"
    )


def test_replaced_bytes_are_counted_per_file_in_the_journal(tmp_path, capsys):
    root = tmp_path / "in"
    put(root / "a.txt", STRAY)
    put(root / "b.txt", RAW)
    put(root / "c.txt", STRAY + b"\xfe\n")
    out = tmp_path / "out"
    code, _, err = run(capsys, "clean", root, "-o", out, "--decode-errors", "replace")
    assert code == 0, err
    assert f"{root / 'c.txt'}: utf-8, 2 undecodable byte sequences replaced by U+FFFD" in err
    assert err.endswith("textwash: 3 undecodable byte sequences replaced by U+FFFD in 2 files\n")
    entries = [json.loads(line) for line in (out / JOURNAL_NAME).read_text().splitlines()[1:]]
    replaced = {Path(e["input"]).name: e.get("replaced", 0) for e in entries}
    assert replaced == {"a.txt": 1, "b.txt": 0, "c.txt": 2}
    assert (out / "c.txt").read_text(encoding="utf-8").count("\ufffd") == 2


def test_a_stray_byte_in_a_jsonl_record(tmp_path, capsys):
    good = json.dumps({"id": 1, "text": RAW}, ensure_ascii=False).encode()
    bad = b'{"id": 2, "text": "\xe7\xa4\xbe\xff\xe4\xbc\x9a"}'
    src = put(tmp_path / "a.jsonl", good + b"\n" + bad + b"\n")
    code, _, err = run(capsys, "clean", src, "-o", tmp_path / "strict.jsonl")
    assert code == 1
    assert f"{src}:2: cannot detect the encoding: not UTF-8 (byte 0xff at byte 118)" in err
    dest = tmp_path / "out.jsonl"
    code, _, err = run(capsys, "clean", src, "-o", dest, "--decode-errors", "replace")
    assert code == 0, err
    lines = [json.loads(line) for line in dest.read_text(encoding="utf-8").splitlines()]
    assert [r["text"] for r in lines] == [CLEAN, "社\ufffd会"]
    assert "1 undecodable byte sequence replaced by U+FFFD" in err


def test_replace_with_on_error_skip_reads_the_line_instead_of_rejecting_it(tmp_path, capsys):
    lines = [json.dumps({"text": f"第{i}条" + RAW}, ensure_ascii=False).encode() for i in range(12)]
    lines[5] = b'{"text": "\xe7\xa4\xbe\xff"}'
    src = put(tmp_path / "a.jsonl", b"\n".join(lines) + b"\n")
    dest = tmp_path / "out.jsonl"
    code, _, err = run(
        capsys, "clean", src, "-o", dest, "--on-error", "skip", "--decode-errors", "replace"
    )
    assert code == 0, err
    assert "12 record(s) in: 12 cleaned, 0 rejected" in err
    assert json.loads(dest.read_text(encoding="utf-8").splitlines()[5]) == {"text": "社\ufffd"}


def test_dedup_reports_replaced_bytes(tmp_path, capsys):
    src = put(tmp_path / "a.txt", STRAY + b"\n" + STRAY)
    code, _, err = run(capsys, "dedup", src, "--decode-errors", "replace")
    assert code == 0, err
    assert f"{src}: utf-8, 2 undecodable byte sequences replaced by U+FFFD" in err
    assert "textwash: 2 undecodable byte sequences replaced by U+FFFD in 1 file" in err


def test_a_large_file_stream_counts_replacements(tmp_path):
    """The streamed reader (files over 16 MB) decodes with the same handler, piece by piece."""
    src = put(tmp_path / "a.txt", STRAY * 50)
    stream = open_text(src, chunk=7, errors="replace")
    text = "".join(stream)
    assert stream.encoding == "utf-8"
    assert stream.replaced == text.count("\ufffd") == 50
    with pytest.raises(textwash.io.InputError, match="not UTF-8 \\(byte 0xff at byte 112\\)"):
        "".join(open_text(src, chunk=7))


def test_binary_files_stay_binary_under_replace(tmp_path, capsys):
    src = put(tmp_path / "logo.png", PNG)
    code, _, err = run(capsys, "clean", src, "--decode-errors", "replace")
    assert code == 1
    assert "looks binary" in err


def test_gbk_is_still_detected_under_replace(tmp_path, capsys):
    raw = "".join(f"第{i}条：" + RAW for i in range(1, 9))
    src = put(tmp_path / "gbk.txt", raw.encode("gbk"))
    code, out, err = run(capsys, "clean", src, "--decode-errors", "replace")
    assert code == 0, err
    assert err == f"{src}: gb18030\n"
    assert "\ufffd" not in out


# -- logging: the library never prints, the command line shows its log on request --------


def test_the_library_logs_and_never_prints(tmp_path, capsys, caplog):
    src = put(tmp_path / "a.txt", STRAY)
    with caplog.at_level(logging.DEBUG, logger="textwash"):
        source = read_file(src, decode_errors="replace")
    assert source.replaced == 1
    assert capsys.readouterr() == ("", "")
    messages = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
    assert ("textwash.io", "INFO", f"{src}: 1 undecodable byte sequence(s) replaced by U+FFFD") in (
        messages
    )


def test_library_code_has_no_print(tmp_path):
    """Outside the command line, nothing writes to the console directly."""
    offenders = []
    for path in (ROOT / "src" / "textwash").rglob("*.py"):
        if "cli" in path.relative_to(ROOT / "src" / "textwash").parts:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#")[0].strip()
            if code.startswith((">>>", "...")):
                continue
            if (
                code.startswith("print(")
                or "sys.stderr.write" in code
                or "sys.stdout.write" in code
            ):
                offenders.append(f"{path}:{n}: {line.strip()}")
    assert offenders == []


def test_verbose_shows_the_library_log_and_quiet_hides_file_lines(tmp_path, capsys):
    src = put(tmp_path / "a.txt", STRAY)
    code, _, err = run(capsys, "clean", src, "--decode-errors", "replace", "-vv")
    assert code == 0
    assert f"textwash: DEBUG: {src}: detected utf-8\n" in err
    assert f"textwash: INFO: {src}: 1 undecodable byte sequence(s) replaced by U+FFFD\n" in err
    code, _, err = run(capsys, "-v", "clean", src, "--decode-errors", "replace")
    assert code == 0
    assert "INFO" in err and "DEBUG" not in err
    code, out, err = run(capsys, "clean", src, "--decode-errors", "replace", "-q")
    assert code == 0
    assert out.startswith(CLEAN)
    assert err == "textwash: 1 undecodable byte sequence replaced by U+FFFD in 1 file\n"
    assert not logging.getLogger("textwash").handlers or all(
        isinstance(h, logging.NullHandler) for h in logging.getLogger("textwash").handlers
    )


def test_dedup_quiet_hides_the_line_per_file_too(tmp_path, capsys):
    a = put(tmp_path / "a.txt", "第一段落的文字在这里，写得足够长一些才好。\n")
    b = put(tmp_path / "b.txt", "第一段落的文字在这里，写得足够长一些才好。\n")
    code, _, err = run(capsys, "dedup", a, b, "--no-progress")
    assert code == 0
    assert f"{a}: utf-8\n" in err and f"{b}: utf-8\n" in err
    code, _, quiet = run(capsys, "dedup", a, b, "--no-progress", "-q")
    assert code == 0
    assert ": utf-8" not in quiet
    assert "clusters" in quiet  # the run's totals are still printed


# -- configs naming a user's own steps -------------------------------------------------------


USER_MODULE = '''\
"""A user's own steps, importable as user_steps."""

from dataclasses import dataclass

import regex

from textwash import Normalizer, sub_edits


@dataclass(frozen=True, repr=False)
class DropAds(Normalizer):
    pattern: str = r"【广告】[^\\n]*"
    replacement: str = ""

    def edits(self, text):
        return sub_edits(regex.compile(self.pattern), text, self.replacement)


def shout(text):
    return text.replace("!", "！！")
'''


@pytest.fixture
def user_steps(tmp_path, monkeypatch):
    folder = tmp_path / "lib"
    put(folder / "user_steps.py", USER_MODULE)
    monkeypatch.syspath_prepend(str(folder))
    import importlib

    module = importlib.import_module("user_steps")
    yield module, folder
    sys.modules.pop("user_steps", None)


def test_a_user_normalizer_is_saved_as_module_class_and_loads_back(user_steps, tmp_path):
    module, folder = user_steps
    p = textwash.get_preset("minimal") + Pipeline(
        [module.DropAds(replacement="[删]"), module.shout, str.strip]
    )
    toml = p.to_toml()
    assert 'name = "user_steps:DropAds"\nreplacement = "[删]"\n' in toml
    assert 'name = "user_steps:shout"\n' in toml
    assert 'name = "builtins:str.strip"\n' in toml
    raw = "  见好就收!\n【广告】点击下载全文\n"
    back = Pipeline.from_config(toml)
    assert back(raw) == p(raw) == "见好就收！！\n[删]"
    assert back[:3] == p[:3]  # the normalizers compare equal, options and all

    # and in a new process that only knows where the module is, through the command line
    config = put(tmp_path / "pipeline.toml", toml)
    src = put(tmp_path / "a.txt", raw)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT / "src")])}
    done = textwash_process(
        "clean", str(src), "--pipeline", str(config), "--no-progress", cwd=tmp_path, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "见好就收！！\n[删]"


def test_the_readme_example_saves(tmp_path):
    from textwash import ChineseConvert, OcrSpacing, Punctuation, UnicodeRepair

    p = Pipeline([UnicodeRepair(), OcrSpacing(min_han=15), Punctuation(), ChineseConvert("s2twp")])
    p = p + Pipeline([str.strip])
    config = put(tmp_path / "pipeline.toml", p.to_toml())
    assert 'name = "builtins:str.strip"' in config.read_text(encoding="utf-8")
    assert Pipeline.from_config(config)("  社会,好  ") == p("  社会,好  ") == "社會，好"


def local_class_pipeline() -> Pipeline:
    from textwash import Normalizer

    class Local(Normalizer):
        def edits(self, text):
            return []

    return Pipeline([Local()])


@pytest.mark.parametrize(
    ("pipeline", "message"),
    [
        (Pipeline([lambda t: t]), r"step <lambda> cannot be saved .*a lambda has no name"),
        (local_class_pipeline(), r"step Local cannot be saved .*defined inside a function"),
        (
            Pipeline([__import__("functools").partial(str.replace, "a", "b")]),
            r"step partial cannot be saved .*a partial object has no name",
        ),
    ],
)
def test_steps_that_cannot_be_imported_back_are_refused_with_advice(pipeline, message):
    with pytest.raises(ValueError, match=message) as info:
        pipeline.to_toml()
    assert "at the top level of a module Python can import" in str(info.value)


def test_a_script_function_is_refused(tmp_path):
    script = put(
        tmp_path / "script.py",
        textwrap.dedent(
            """\
            from textwash import Pipeline

            def mine(text):
                return text

            try:
                Pipeline([mine]).to_toml()
            except ValueError as exc:
                print(exc)
            """
        ),
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        "step mine cannot be saved to a config: mine is defined in a script (__main__)"
    )


# -- error messages ---------------------------------------------------------------------------


def test_json_error_messages_do_not_say_at_at(tmp_path, capsys):
    src = put(tmp_path / "a.jsonl", '{"text": "ok"}\n{"text": "unterminated\n')
    code, _, err = run(capsys, "clean", src, "-o", tmp_path / "out.jsonl")
    assert code == 1
    assert f"{src}:2: invalid JSON (Unterminated string starting at column 10)" in err
    assert "at at" not in err
