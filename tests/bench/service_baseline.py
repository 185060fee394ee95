"""The hand-written baseline of the service benchmark: books over FastAPI + SQLAlchemy 2 async (asyncpg).

Written the plainest way, as a developer would without potter-gen: one table,
one engine with SQLAlchemy's default pool, pydantic request/response models,
one statement per request. `service_bench.py` runs it with uvicorn, one
worker, on the same machine and under the same load as the generated service:

    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/db \\
        python -m uvicorn service_baseline:app --app-dir tests/bench --port 8001

- `POST /books` {"title", "author", "copies"}: one INSERT; 201 {"id"}.
- `GET /books?limit=50`: `SELECT … ORDER BY id LIMIT 50`; 200 [book, …].
- `GET /books/{id}`: one SELECT by primary key; 200 book, or 404.

The table is created on start when missing; the harness seeds it with
`INSERT … SELECT generate_series` (`service_seed.seed_baseline`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Query
from pydantic import BaseModel
from sqlalchemy import Column, Integer, MetaData, String, Table, Uuid, insert, select
from sqlalchemy.ext.asyncio import create_async_engine

metadata = MetaData()

books = Table(
    "books",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("title", String(500), nullable=False),
    Column("author", String(500), nullable=False),
    Column("copies", Integer, nullable=False),
    Column("policy", Integer, nullable=False, server_default="0"),
    Column("on_loan", Integer, nullable=False, server_default="0"),
)

engine = create_async_engine(os.environ["DATABASE_URL"])


class BookIn(BaseModel):
    """The body of `POST /books`."""

    title: str
    author: str
    copies: int = 0
    policy: int = 0


class Book(BaseModel):
    """A book as the API returns it."""

    id: uuid.UUID
    title: str
    author: str
    copies: int
    policy: int
    on_loan: int


class Created(BaseModel):
    """The answer to `POST /books`."""

    id: uuid.UUID


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield
    await engine.dispose()


app = FastAPI(title="Baseline books", lifespan=lifespan)


@app.post("/books", status_code=201)
async def create_book(body: BookIn) -> Created:
    """Insert one book; return its new id."""
    book_id = uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(insert(books).values(id=book_id, **body.model_dump()))
    return Created(id=book_id)


@app.get("/books")
async def list_books(limit: int = Query(50, ge=1, le=1000)) -> list[Book]:
    """Return the first `limit` books ordered by id."""
    async with engine.connect() as conn:
        rows = await conn.execute(select(books).order_by(books.c.id).limit(limit))
    return [Book.model_validate(row._mapping) for row in rows]


@app.get("/books/{book_id}")
async def get_book(book_id: uuid.UUID) -> Book:
    """Return one book; 404 when there is none with that id."""
    async with engine.connect() as conn:
        row = (await conn.execute(select(books).where(books.c.id == book_id))).first()
    if row is None:
        raise HTTPException(status_code=404, detail="book not found")
    return Book.model_validate(row._mapping)
