"""Serve a generated service with uvicorn on a free loopback port, in a thread.

Run by `tests/sdk/test_sdk_against_service.py` in a subprocess whose
PYTHONPATH holds the service's and the SDK's `src/` directories, so each
case's packages are imported fresh. The environment variable
`SERVICE_PACKAGE` names the service's package.
"""

from __future__ import annotations

import importlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn


@pytest.fixture
def container(tmp_path: Path) -> Any:
    """Return the service's container on a fresh SQLite event store."""
    package = os.environ["SERVICE_PACKAGE"]
    bootstrap = importlib.import_module(f"{package}.bootstrap")
    settings_module = importlib.import_module(f"{package}.settings")
    settings = settings_module.Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'events.db'}")
    return bootstrap.build_container(settings)


@pytest.fixture
def base_url(container: Any) -> Iterator[str]:
    """Serve the container's REST app on 127.0.0.1 and yield its URL."""
    app_module = importlib.import_module(f"{os.environ['SERVICE_PACKAGE']}.presentation.rest.app")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app_module.create_app(container), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the service did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
