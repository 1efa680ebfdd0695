"""The package carries its configuration and templates: found through importlib.resources from the source
tree, and from the package as setuptools builds it for a wheel, imported from an empty folder
(scripts/package-check.sh does the whole user path: a real wheel, a fresh virtualenv, init, demo and a
Prefect run)."""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
import sys
import tomllib
from importlib.resources import files
from pathlib import Path

from setuptools import find_packages

from pipeline.configuration import load_configuration
from pipeline.paths import TEMPLATES_DIR, packaged_config

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
DATA = {"pipeline.config": "config", "pipeline.templates": "templates"}


def test_packaged_resources_resolve_through_importlib_resources() -> None:
    package = files("pipeline")
    config, templates = packaged_config(), TEMPLATES_DIR
    # from the source tree (or an editable install) the top-level folders; from a wheel, inside the package
    assert config in (package / "config", package.parent / "config")
    assert templates in (package / "templates", package.parent / "templates")
    assert {p.name for p in templates.iterdir()} >= {"report.html.j2", "report.css"}
    loaded = load_configuration(config)
    assert loaded.programmes and loaded.units.units and loaded.recipients.recipients


def _data_packages() -> dict[str, Path]:
    """pipeline.config -> config/, pipeline.config.programmes -> config/programmes, pipeline.templates -> …"""
    out = {}
    for name, folder in DATA.items():
        for d in [ROOT / folder, *(p for p in (ROOT / folder).rglob("*") if p.is_dir())]:
            if "__pycache__" not in d.parts:
                out[".".join((name, *d.relative_to(ROOT / folder).parts))] = d
    return out


def test_pyproject_ships_every_package_and_every_data_file() -> None:
    code = set(find_packages(str(ROOT), include=["pipeline", "pipeline.*"]))
    data = _data_packages()
    assert set(PYPROJECT["packages"]) == code | set(data)  # a new sub-package must be listed in pyproject.toml
    assert PYPROJECT["package-dir"] == DATA
    for package, folder in data.items():
        globs = PYPROJECT["package-data"].get(package, [])
        for f in folder.iterdir():
            assert f.is_dir() or any(fnmatch.fnmatch(f.name, g) for g in globs), f"{f} is not shipped (package-data)"


def _built(tmp_path: Path) -> Path:
    """What a wheel holds, as setuptools lays it out (build_py, from a copy of the source tree; offline)."""
    src, site = tmp_path / "src", tmp_path / "site"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "flows.py"):
        shutil.copy(ROOT / name, src / name)
    for name in ("pipeline", "config", "templates"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "-c", "from setuptools import setup; setup()", "-q", "build_py", "--build-lib", str(site)],
        cwd=src,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return site


def test_the_built_package_carries_config_and_templates_and_runs_from_an_empty_folder(tmp_path: Path) -> None:
    site = _built(tmp_path)
    names = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    shipped = {
        f"pipeline/{folder}/{p.relative_to(ROOT / folder).as_posix()}"
        for folder in ("config", "templates")
        for p in (ROOT / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert shipped and shipped <= names
    assert "flows.py" in names and "pipeline/cli.py" in names
    assert not any(n.startswith(("config/", "templates/")) for n in names)  # nothing at site-packages' top
    # installed = on sys.path (the dependencies come from this environment), run from an empty folder
    empty = tmp_path / "empty"
    empty.mkdir()
    probe = (
        "import pipeline, pipeline.paths as p; from pipeline.configuration import load_configuration;"
        "load_configuration(p.packaged_config()); print(pipeline.__file__); print(p.packaged_config());"
        "print(p.TEMPLATES_DIR)"
    )
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=empty, env=env, capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    assert [Path(x) for x in out] == [
        site / "pipeline" / "__init__.py",
        site / "pipeline" / "config",
        site / "pipeline" / "templates",
    ]
    cli = "import sys; from pipeline.cli import app; sys.argv[0] = 'khuyencong'; app()"
    for args in (["template", "--unit", "Bù Đăng", "--period", "2012-03", "--out", "bd.xlsx"], ["init", "w"]):
        done = subprocess.run(
            [sys.executable, "-c", cli, *args], cwd=empty, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stdout + done.stderr
    assert (empty / "bd.xlsx").is_file() and (empty / "w" / "config" / "units.yaml").is_file()
    assert load_configuration(empty / "w" / "config").units == load_configuration(packaged_config()).units
