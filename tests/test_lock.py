"""Reproducible installs: uv.lock pins every package of this virtualenv, from the registry only.

`make install` runs `uv sync --locked` (README "Installs"); these tests check what it left, and
that the lock still answers pyproject.toml. CI installs a fresh clone from the same lock.
"""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path


try:
    import tomllib
except ModuleNotFoundError:   # Python 3.10 (tomli is in the lock there)
    import tomli as tomllib

PROJECT = Path(__file__).resolve().parents[1]
LOCK = tomllib.loads((PROJECT / "uv.lock").read_text())
UV = Path(sys.executable).parent / "uv"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked() -> dict[str, set[str]]:
    """{package: the versions the lock holds (one per Python version or platform fork)}."""
    versions: dict[str, set[str]] = {}
    for package in LOCK["package"]:
        versions.setdefault(canonical(package["name"]), set()).add(package["version"])
    return versions


def test_every_installed_distribution_is_pinned_by_the_lock():
    pins = locked()
    installed = {canonical(d.metadata["Name"]): d.version for d in importlib.metadata.distributions()}
    assert installed, "no distribution found"
    unpinned = {name: version for name, version in installed.items() if version not in pins.get(name, set())}
    assert not unpinned, ("installed but not pinned by uv.lock (`make install` removes strays; a new dependency "
                          f"goes in pyproject.toml, then `make lock`): {unpinned}")


def test_the_lock_takes_packages_from_the_registry_only():
    """Nothing from a git repository, a URL or a local path but the project itself: an install
    needs no network beyond the package registry."""
    elsewhere = {p["name"]: p["source"] for p in LOCK["package"]
                 if "registry" not in p["source"] and p["source"] != {"editable": "."}}
    assert not elsewhere
    assert {p["source"]["registry"] for p in LOCK["package"] if "registry" in p["source"]} == {"https://pypi.org/simple"}
    unhashed = [p["name"] for p in LOCK["package"] if "registry" in p["source"]
                and not all(f.get("hash") for f in [*p.get("wheels", []), *([p["sdist"]] if "sdist" in p else [])])]
    assert not unhashed, f"registry files without a hash: {unhashed}"


def test_uv_itself_is_installed_at_the_locked_version():
    """`make install` installs uv with pip from requirements-uv.txt (hash-pinned), exported from the lock."""
    exported = (PROJECT / "requirements-uv.txt").read_text()
    pinned = re.search(r"^uv==(\S+)", exported, re.M).group(1)
    assert locked()["uv"] == {pinned}
    assert "--hash=sha256:" in exported


def test_the_lock_answers_pyproject_and_the_venv_matches_it():
    """`uv lock --check`: fails when pyproject.toml changed and `make lock` was not run. `uv sync
    --check`: what a sync would change; nothing but the project itself (re-installed whenever its
    pyproject.toml changes), so nothing is missing or extra. Both offline."""
    done = subprocess.run([str(UV), "lock", "--check", "--offline"], cwd=PROJECT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    done = subprocess.run([str(UV), "sync", "--locked", "--check", "--offline"], cwd=PROJECT, capture_output=True,
                          text=True, timeout=120)
    changes = re.findall(r"^ [-+~] (\S+?)(?:==| @ |$)", done.stdout + done.stderr, re.M)
    assert set(changes) <= {"umkm-pipeline"}, done.stdout + done.stderr


def test_make_installs_from_the_lock():
    """The README's two commands install through `uv sync --locked`, never a bare pip install."""
    makefile = (PROJECT / "Makefile").read_text()
    assert "uv sync --locked" in makefile
    assert not re.search(r"pip install(?!.*--require-hashes)", makefile)
    assert "make test" in (PROJECT / ".ci" / "run").read_text()
