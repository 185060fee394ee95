"""Circuit breakers of the client SDKs: one per client instance and host, on purgatory.

A breaker counts consecutive failed attempts against one host (what
``is_failure`` says is a failure: no connection, a cut answer, 5xx, 429 —
not a 4xx domain answer). After ``failure_threshold`` of them it opens: calls
to that host fail at once, without a request, until ``reset_timeout``
seconds have passed; then it half-opens, and the next attempt closes it again
on success or reopens it on failure (Nygard, "Release It!", Circuit Breaker;
the state machine is purgatory's ``purgatory.domain.model``).
This module only wraps purgatory; it must not send requests nor know about
problem+json answers.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass

import httpx
from purgatory import AsyncCircuitBreakerFactory, SyncCircuitBreakerFactory
from purgatory.domain.model import ExcludeType, OpenedState


@dataclass(frozen=True)
class CircuitBreakerSettings:
    """When a client's breaker for one host opens, and for how long.

    Attributes:
        failure_threshold: consecutive failed attempts that open the circuit (int, ≥ 1).
        reset_timeout: seconds the circuit stays open before one attempt may
            try the host again (float, > 0).
    """

    failure_threshold: int = 5
    reset_timeout: float = 30.0

    def __post_init__(self) -> None:
        """Check the values.

        Raises:
            ValueError: ``failure_threshold`` < 1 or ``reset_timeout`` <= 0.
        """
        if self.failure_threshold < 1:
            raise ValueError(f"failure_threshold must be at least 1, got {self.failure_threshold}")
        if self.reset_timeout <= 0:
            raise ValueError(f"reset_timeout must be positive seconds, got {self.reset_timeout}")


OpenErrorFactory = Callable[[str, float], Exception]
"""Builds the error raised while a circuit is open, from (host, seconds until it half-opens)."""


def circuit_name(url: httpx.URL) -> str:
    """Return the circuit of a request URL: its scheme, host and port (``"http://127.0.0.1:8000"``)."""
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme}://{url.host}{port}"


class _Breakers:
    """What the sync and async breakers share: the settings and the failure test."""

    def __init__(
        self,
        settings: CircuitBreakerSettings,
        *,
        is_failure: Callable[[BaseException], bool],
        open_error: OpenErrorFactory,
    ) -> None:
        self.settings = settings
        self.open_error = open_error
        # purgatory counts an exception as a success when its exclude entry's test is true.
        self._exclude: ExcludeType = [(BaseException, lambda exc: not is_failure(exc))]

    def _open_error(self, circuit: str, state: OpenedState) -> Exception:
        remaining = max(0.0, state.opened_at + self.settings.reset_timeout - time.time())
        return self.open_error(circuit, remaining)


class CircuitBreakers(_Breakers):
    """The breakers of one synchronous client, one per host.

    Args:
        settings: threshold and reset timeout.
        is_failure: tells whether an exception raised inside ``guard`` counts as a failure.
        open_error: builds the exception ``guard`` raises while the circuit is open.
    """

    def __init__(
        self,
        settings: CircuitBreakerSettings,
        *,
        is_failure: Callable[[BaseException], bool],
        open_error: OpenErrorFactory,
    ) -> None:
        super().__init__(settings, is_failure=is_failure, open_error=open_error)
        self._factory = SyncCircuitBreakerFactory(
            default_threshold=settings.failure_threshold, default_ttl=settings.reset_timeout, exclude=self._exclude
        )

    def state(self, url: httpx.URL) -> str:
        """Return the state of ``url``'s circuit: ``"closed"``, ``"opened"`` or ``"half-opened"``."""
        return self._factory.get_breaker(circuit_name(url)).context.state

    @contextmanager
    def guard(self, url: httpx.URL) -> Iterator[None]:
        """Run one attempt against ``url``'s host under its breaker.

        Raises:
            Exception: ``open_error(...)`` while the circuit is open (the block does not run);
                else whatever the block raised.
        """
        circuit = circuit_name(url)
        breaker = self._factory.get_breaker(circuit)
        try:
            breaker.__enter__()
        except OpenedState as state:
            raise self._open_error(circuit, state) from None
        try:
            yield
        except BaseException as exc:
            breaker.__exit__(type(exc), exc, exc.__traceback__)
            raise
        breaker.__exit__(None, None, None)


class AsyncCircuitBreakers(_Breakers):
    """The breakers of one asyncio client, one per host; arguments as ``CircuitBreakers``."""

    def __init__(
        self,
        settings: CircuitBreakerSettings,
        *,
        is_failure: Callable[[BaseException], bool],
        open_error: OpenErrorFactory,
    ) -> None:
        super().__init__(settings, is_failure=is_failure, open_error=open_error)
        self._factory = AsyncCircuitBreakerFactory(
            default_threshold=settings.failure_threshold, default_ttl=settings.reset_timeout, exclude=self._exclude
        )

    async def state(self, url: httpx.URL) -> str:
        """Return the state of ``url``'s circuit: ``"closed"``, ``"opened"`` or ``"half-opened"``."""
        return (await self._factory.get_breaker(circuit_name(url))).context.state

    @asynccontextmanager
    async def guard(self, url: httpx.URL) -> AsyncIterator[None]:
        """Run one attempt against ``url``'s host under its breaker; raises as ``CircuitBreakers.guard``."""
        circuit = circuit_name(url)
        breaker = await self._factory.get_breaker(circuit)
        try:
            await breaker.__aenter__()
        except OpenedState as state:
            raise self._open_error(circuit, state) from None
        try:
            yield
        except BaseException as exc:
            await breaker.__aexit__(type(exc), exc, exc.__traceback__)
            raise
        await breaker.__aexit__(None, None, None)
