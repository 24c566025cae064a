"""The vendored browser libraries are the files VENDORED.md lists, each with its license."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from tests.browser.helpers import AXE_JS, ROOT

VENDOR_DIRS = [ROOT / "src/dispatch/web/static/vendor", Path(__file__).parent / "vendor"]
CHECKSUMS = re.compile(r"^```sha256\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def _listed(vendor: Path) -> dict[str, str]:
    """{relative path: sha256} from the ```sha256 block of the folder's VENDORED.md."""
    block = CHECKSUMS.search((vendor / "VENDORED.md").read_text())
    assert block is not None, f"{vendor}/VENDORED.md has no ```sha256 block"
    return {path: digest for digest, path in (line.split() for line in block[1].splitlines())}


@pytest.mark.parametrize("vendor", VENDOR_DIRS, ids=lambda path: path.parent.name)
def test_vendored_files_are_those_listed_with_their_checksums_and_licenses(vendor: Path) -> None:
    present = {
        path.relative_to(vendor).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in vendor.glob("*/*")
        if path.is_file()
    }

    assert present == _listed(vendor)
    for folder in (path for path in vendor.iterdir() if path.is_dir()):
        assert (folder / "LICENSE").is_file(), f"{folder} has no LICENSE"


def test_axe_is_for_tests_only() -> None:
    assert AXE_JS.is_file()
    assert not list((ROOT / "src").rglob("axe*.js"))
