"""The library SDK against the running library service, over real HTTP: typed in, typed out."""

from __future__ import annotations

import asyncio

import pytest
from library_client import ApiError, AsyncLibraryClient, LibraryClient, RetryPolicy
from library_client.models import (
    Address,
    BookImport,
    BorrowBookRequest,
    CreateBookRequest,
    CreateMemberRequest,
    DeleteBookRequest,
    GetBookRequest,
    GetMemberRequest,
    ImportBooksRequest,
    ImportBooksResponse,
    LendingPolicy,
    ListBooksRequest,
    ListMembersRequest,
    UpdateBookRequest,
)

NO_RETRY = RetryPolicy(attempts=1)


def test_book_lifecycle_through_the_sync_client(base_url: str) -> None:
    with LibraryClient(base_url) as client:
        created = client.create_book(CreateBookRequest(title="Dune", author="Frank Herbert", copies=3))
        assert created.book_id

        book = client.get_book(GetBookRequest(id=created.book_id)).book
        assert book is not None
        assert (book.id, book.title, book.author, book.copies) == (created.book_id, "Dune", "Frank Herbert", 3)
        assert book.policy is LendingPolicy.LENDING_POLICY_UNSPECIFIED

        updated = client.update_book(UpdateBookRequest(id=created.book_id, title="Dune Messiah", author="Frank Herbert", copies=2))
        assert updated.book is not None and updated.book.title == "Dune Messiah"

        listed = client.list_books(ListBooksRequest(page_size=10))
        assert [b.id for b in listed.books] == [created.book_id]
        assert listed.total == 1

        client.delete_book(DeleteBookRequest(id=created.book_id))
        with pytest.raises(ApiError) as raised:
            client.get_book(GetBookRequest(id=created.book_id))
        assert (raised.value.status, raised.value.code) == (404, "NOT_FOUND")
        assert created.book_id in raised.value.detail


def test_an_unwritten_handler_is_not_implemented_and_not_retried(base_url: str) -> None:
    with LibraryClient(base_url) as client:
        with pytest.raises(ApiError) as raised:
            client.borrow_book(BorrowBookRequest(book_id="b-1", member_id="m-1"))
    assert (raised.value.status, raised.value.code, raised.value.retryable) == (501, "NOT_IMPLEMENTED", False)
    assert "BorrowBook" in raised.value.detail


def test_an_async_command_answers_its_operation_and_wait_raises_its_error(base_url: str) -> None:
    """ImportBooks is async: the method returns the accepted operation; wait() raises the error it ended with."""
    with LibraryClient(base_url, retry=NO_RETRY) as client:
        operation = client.import_books(ImportBooksRequest(books=[BookImport(title="Dune")]))
        assert (operation.name, operation.rpc) == (f"operations/{operation.id}", "ImportBooks")
        assert operation.status in ("pending", "running", "succeeded", "failed")
        with pytest.raises(ApiError) as raised:
            client.wait(operation, ImportBooksResponse, timeout=30)
        assert (raised.value.status, raised.value.code) == (501, "NOT_IMPLEMENTED")  # the scaffold handler is unwritten
        again = client.fetch_operation(operation.id)
        assert (again.id, again.status, again.done) == (operation.id, "failed", True)
        with pytest.raises(ApiError) as unknown:
            client.fetch_operation("00000000-0000-4000-8000-000000000000")
        assert unknown.value.status == 404

    async def run() -> None:
        async with AsyncLibraryClient(base_url, retry=NO_RETRY) as client:
            operation = await client.import_books(ImportBooksRequest(books=[]))
            with pytest.raises(ApiError) as raised:
                await client.wait(operation, ImportBooksResponse, timeout=30)
            assert raised.value.code == "NOT_IMPLEMENTED"

    asyncio.run(run())


def test_path_values_are_escaped(base_url: str) -> None:
    """An id with a space, `?` and `#` reaches the handler whole (its 404 names it)."""
    with LibraryClient(base_url, retry=NO_RETRY) as client:
        with pytest.raises(ApiError) as raised:
            client.get_book(GetBookRequest(id="a b?c#d"))
    assert raised.value.status == 404
    assert "a b?c#d" in raised.value.detail


def test_member_lifecycle_through_the_asyncio_client(base_url: str) -> None:
    async def run() -> None:
        async with AsyncLibraryClient(base_url) as client:
            address = Address(street="1 Analytical Row", city="London")
            created = await client.create_member(
                CreateMemberRequest(full_name="Ada Lovelace", email="ada@example.org", address=address)
            )
            member = await client.get_member(GetMemberRequest(id=created.member_id))
            assert (member.id, member.full_name, member.email) == (created.member_id, "Ada Lovelace", "ada@example.org")
            assert member.address == address
            listed = await client.list_members(ListMembersRequest(page_size=5))
            assert [m.id for m in listed.members] == [created.member_id]

    asyncio.run(run())


def test_an_unreachable_service_raises_after_the_retries(base_url: str) -> None:
    import httpx

    with LibraryClient("http://127.0.0.1:9", retry=RetryPolicy(attempts=2, initial_backoff=0, max_backoff=0)) as client:
        with pytest.raises(httpx.ConnectError):
            client.list_books(ListBooksRequest())
