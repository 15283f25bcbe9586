"""Every data file the package reads at run time is listed in pyproject's package-data, so a
wheel (not only an editable install) carries the lexicons, word sets, name list and model."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_data_file_under_src_csqa_is_package_data() -> None:
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["csqa"]
    package = ROOT / "src" / "csqa"
    data = [p.relative_to(package).as_posix() for p in package.rglob("*")
            if p.is_file() and p.suffix not in {".py", ".pyc"} and "__pycache__" not in p.parts]
    missing = [f for f in data if not any(fnmatch.fnmatchcase(f, pat) and f.count("/") == pat.count("/") for pat in patterns)]
    assert data and not missing, f"not in [tool.setuptools.package-data] of pyproject.toml: {missing}"
