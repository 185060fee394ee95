"""A relay in a process of its own, for the crash test: ``python relay_process.py DB_URL NATS_URL MODULE BATCH``.

Runs ``OutboxRelay.run`` until killed; the test sets ``POTTER_RELAY_FAILPOINT``.
"""

from __future__ import annotations

import asyncio
import sys

from potter_runtime.relay import JetStreamPublisher, OutboxRelay, stream_name
from potter_runtime.store import open_event_store


async def main(db_url: str, nats_url: str, module: str, batch_size: int) -> None:
    store = open_event_store(db_url)
    publisher = JetStreamPublisher(nats_url, module=module)
    relay = OutboxRelay(store, store.engine, publisher, name=stream_name(module), batch_size=batch_size)
    await relay.run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
