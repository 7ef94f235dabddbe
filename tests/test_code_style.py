"""Lint as part of the suite, so CI refuses code the linter refuses."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    result = subprocess.run([ruff, "check", "--quiet", "."], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_external_urls_in_templates():
    """The portal runs on a closed network: no template loads anything from outside."""
    import re

    pattern = re.compile(r"""(src|href|action)=["']https?://""")
    offenders = [
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.html")
        if ".venv" not in path.parts and "var" not in path.parts and pattern.search(path.read_text())
    ]
    assert offenders == []
