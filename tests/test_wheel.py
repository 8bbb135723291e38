"""The wheel: ``pip wheel .`` holds the package data and installs into a clean venv.

The wheel is built from a copy of the source tree (so the build leaves nothing
in the working tree) and installed with ``--no-deps`` into a fresh
``python -m venv --system-site-packages``.  textwash's dependencies are not
in the base interpreter here, so the new venv is also pointed, by a ``.pth``
file placed after its own site-packages, at the site-packages of the venv
running the tests; textwash itself is not there (that venv has it as an
editable install, whose ``.pth`` file is not read from a folder added that
way), so ``import textwash`` can only find the installed wheel.

Marked ``wheel``: ``make test`` runs it (``-m 'not wheel'`` leaves it out).  It
takes about 10 s, most of it pip.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.wheel


def package_data() -> set[str]:
    """The non-Python files under src/textwash that pyproject's package-data ships."""
    src = ROOT / "src" / "textwash"
    found = {"textwash/py.typed"}
    for pattern in ("data/*.tsv", "data/*.txt"):
        found |= {f"textwash/{p.relative_to(src).as_posix()}" for p in src.glob(pattern)}
    return found


def pip(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "-q"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_the_wheel_ships_the_data_and_installs_in_a_clean_venv(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, tree / name)
    shutil.copytree(
        ROOT / "src" / "textwash",
        tree / "src" / "textwash",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    wheels = tmp_path / "wheels"
    pip("wheel", ".", "--no-deps", "-w", str(wheels), cwd=tree)
    [wheel] = wheels.glob("textwash-*.whl")

    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        assert package_data() <= names, package_data() - names
        assert {"textwash/__main__.py", "textwash/cli/completion.py"} <= names
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        assert "textwash = textwash.cli.main:main" in z.read(entry_points).decode()
        assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)

    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
        check=True,
        timeout=120,
    )
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # the dependencies, from the venv running the tests (after the new venv's own packages)
    Path(site, "zz_textwash_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip("--python", str(python), "install", "--no-deps", str(wheel), cwd=tmp_path)

    tables = sorted(Path(n).name for n in package_data() if "/data/" in n)
    probe = (
        "import textwash, textwash.normalizers._tables as t\n"
        "print(textwash.__file__)\n"
        "print(textwash.clean('笫一,社 会 、实 现'))\n"
        f"print(all(t.read_table(None, name)[0] for name in {tables!r}))\n"
    )
    done = subprocess.run(
        [str(python), "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    where, cleaned, table = done.stdout.splitlines()
    assert Path(where).is_relative_to(venv), where
    assert not Path(where).is_relative_to(ROOT)
    assert cleaned == "第一，社会、实现"
    assert table == "True"

    version = subprocess.run(
        [str(venv / "bin" / "textwash"), "--version"], capture_output=True, text=True, timeout=60
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("textwash ")
