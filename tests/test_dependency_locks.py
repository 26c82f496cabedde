"""The lock files pin what pyproject.toml asks for: the image installs requirements.lock and CI
requirements-dev.lock (`--require-hashes`), so a dependency added to pyproject.toml without
locking it again, or locked at a version its range refuses, fails here first."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _pins(lock: str) -> dict[str, str]:
    text = (ROOT / lock).read_text(encoding="utf-8")
    return {
        canonicalize_name(name): version
        for name, version in re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s\\]+)", text, re.MULTILINE)
    }


def _applies(requirement: Requirement) -> bool:
    return requirement.marker is None or requirement.marker.evaluate({"extra": ""})


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [
        ("requirements.lock", PROJECT["dependencies"]),
        ("requirements-dev.lock",
         PROJECT["dependencies"] + PROJECT["optional-dependencies"]["dev"]),
    ],
)  # fmt: skip
def test_every_dependency_is_locked_within_its_range(lock: str, requirements: list[str]) -> None:
    pins = _pins(lock)
    for line in requirements:
        requirement = Requirement(line)
        if not _applies(requirement):
            continue
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{lock} does not pin {requirement.name}: lock again (README)"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{lock} pins {requirement.name}=={pins[name]}, outside {requirement.specifier}"
        )


def test_every_pin_carries_its_hashes() -> None:
    for lock in ("requirements.lock", "requirements-dev.lock"):
        text = (ROOT / lock).read_text(encoding="utf-8")
        entries = re.split(r"\n(?=[A-Za-z0-9_.\-]+==)", text)
        pinned = [entry for entry in entries if re.match(r"[A-Za-z0-9_.\-]+==", entry)]
        assert pinned, lock
        assert all("--hash=sha256:" in entry for entry in pinned), lock
        assert "file:///" not in text, f"{lock} names this machine's package index"
