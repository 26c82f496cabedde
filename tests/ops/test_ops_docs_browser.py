"""The documentation pages render in a real browser with the network cut: headless Chromium
(the operating system's package, installed by .ci/run) may reach only 127.0.0.1, and Swagger UI
and ReDoc still draw the API's operations from the assets the application serves."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from redis_support import free_port
from test_ops_processes import _environment, _process, _wait_for

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _rendered(url: str, profile: Path) -> str:
    """The page's DOM once its scripts have run, with every host but 127.0.0.1 unreachable."""
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
         "--virtual-time-budget=15000", "--dump-dom", url],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is installed by .ci/run (apt)")
def test_swagger_ui_and_redoc_render_offline(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    with _process(["serve", "--port", str(port)], _environment(database_url), log) as server:
        _wait_for(f"http://127.0.0.1:{port}/readyz", server, log)
        swagger = _rendered(f"http://127.0.0.1:{port}/docs", tmp_path / "profile-1")
        redoc = _rendered(f"http://127.0.0.1:{port}/redoc", tmp_path / "profile-2")
    # Swagger UI drew the operations (its blocks, with their paths) from /openapi.json.
    assert "opblock" in swagger, swagger[:2000]
    assert "/api/v1/services" in swagger
    # ReDoc drew the document: the title and an operation's summary.
    assert "Qing e-ban API" in redoc
    assert "Search services" in redoc, redoc[:2000]
