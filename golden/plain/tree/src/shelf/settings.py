"""Settings of shelf, read from environment variables and `.env`."""

from __future__ import annotations

from potter_runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    """Service settings; each field is also an environment variable (`DATABASE_URL`, `PORT`...)."""

    database_url: str = "sqlite+aiosqlite:///./shelf.db"
