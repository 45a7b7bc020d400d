"""How a calling service asks the adapter for lookups, with aiokafka and the contracts alone.

Any number of instances of a caller may run at once: each reads every partition of the caller's
reply topic without a consumer group, from the end as it was before it sent anything, and keeps
the replies whose `correlation_id` header is one of its own request ids (a shared consumer group
would hand the partition holding one instance's reply to another instance).

Run against `make run`:  .venv/bin/python -m examples.caller 14435512160
Prints one JSON line per reply: {"request_id": ..., "status": ..., "code": ...}.
"""

import argparse
import asyncio
import json
import uuid
from types import TracebackType
from typing import Self

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from nav_lookup_contracts import LOOKUP_REPLY, RETRYABLE_CODES, ErrorReply, LookupReply, headers, topics
from nav_lookup_contracts.lookups import LookupBase, MedlemskapsunntakSearch


class LookupCaller:
    """Publishes requests to this caller's request topic and matches replies by correlation id."""

    def __init__(self, bootstrap: str, *, request_topic: str, reply_topic: str) -> None:
        self._request_topic = request_topic
        self._reply_topic = reply_topic
        self._producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        # No group_id: every partition of the reply topic is assigned to this instance alone.
        self._consumer = AIOKafkaConsumer(
            reply_topic, bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
        )
        self._pending: dict[str, asyncio.Future[LookupReply]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        await self._consumer.start()
        await self._producer.start()
        await self._read_from_the_end()
        self._reader = asyncio.create_task(self._read_replies())
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        await self._producer.stop()
        await self._consumer.stop()

    async def _read_from_the_end(self, timeout: float = 30) -> None:
        """Fixes every partition's position at its end now, before any request is sent, so no
        reply can come in between and be skipped."""
        async with asyncio.timeout(timeout):
            # Without a group no rebalance listener is called: the assignment is simply there
            # once the topic's metadata is.
            while not self._consumer.assignment():  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        await self._consumer.seek_to_end()
        for partition in self._consumer.assignment():
            await self._consumer.position(partition)

    async def _read_replies(self) -> None:
        async for record in self._consumer:
            correlation_id = dict(record.headers).get(headers.CORRELATION_ID, b"").decode()
            future = self._pending.pop(correlation_id, None)
            if future is not None and not future.done():  # else another instance's reply
                future.set_result(LOOKUP_REPLY.validate_json(record.value or b""))

    async def send(self, request: LookupBase) -> asyncio.Future[LookupReply]:
        """Publishes the request; the future is its reply (the first one, when sent again)."""
        request_id = str(request.request_id)
        future = self._pending.get(request_id)
        if future is None:
            future = self._pending[request_id] = asyncio.get_running_loop().create_future()
        await self._producer.send_and_wait(
            self._request_topic,
            request.model_dump_json(exclude_none=True).encode(),
            key=request_id.encode(),
            headers=[(headers.CORRELATION_ID, request_id.encode())],
        )
        return future

    async def ask(self, request: LookupBase, timeout: float = 30) -> LookupReply:
        """The reply, or TimeoutError after `timeout` seconds."""
        future = await self.send(request)
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            self._pending.pop(str(request.request_id), None)
            raise

    async def ask_with_retries(
        self, request: LookupBase, *, attempts: int = 3, timeout: float = 30, backoff: float = 1.0
    ) -> LookupReply:
        """Sends the same request (same request_id) again after a timeout or a retryable error:
        the adapter answers a repeated id from memory when its first answer was final, so a retry
        never costs a second NAV call for an answer already given."""
        for attempt in range(1, attempts + 1):
            try:
                reply = await self.ask(request, timeout)
            except TimeoutError:
                if attempt == attempts:
                    raise
            else:
                if not (isinstance(reply, ErrorReply) and reply.error.code in RETRYABLE_CODES):
                    return reply
                if attempt == attempts:
                    return reply
            await asyncio.sleep(backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable")


def search_request(ident: str, reply_to: str | None = None) -> MedlemskapsunntakSearch:
    """Without reply_to the reply goes to the caller's own reply topic; a reply_to must be on the
    caller's allow-list (ADAPTER_CALLER_REPLY_TO), else the answer is INVALID_REQUEST there."""
    request = {
        "request_id": uuid.uuid4(),
        "operation": "medlemskapsunntak.search",
        "scope": "nav:helse/v1/medlemskapsunntak",
        "ident": ident,
    }
    # The sandbox's people are synthetic idents, which the contract accepts only when told so.
    return MedlemskapsunntakSearch.model_validate(
        request if reply_to is None else {**request, "reply_to": reply_to}, context={"allow_synthetic": True}
    )


async def main(
    ident: str, *, bootstrap: str, request_topic: str, reply_topic: str, count: int, timeout: float
) -> None:
    async with LookupCaller(bootstrap, request_topic=request_topic, reply_topic=reply_topic) as lookups:
        replies = await asyncio.gather(
            *(lookups.ask_with_retries(search_request(ident), timeout=timeout) for _ in range(count))
        )
    for reply in replies:
        code = reply.error.code.value if isinstance(reply, ErrorReply) else None
        print(json.dumps({"request_id": str(reply.request_id), "status": reply.status, "code": code}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("ident")
    parser.add_argument("--bootstrap", default="127.0.0.1:19092")
    parser.add_argument("--caller", default="dev", help="whose request and reply topics to use")
    parser.add_argument("--request-topic", help="default: the caller's, nav.lookup.v1.requests.<caller>")
    parser.add_argument("--reply-topic", help="default: the caller's, nav.lookup.v1.replies.<caller>")
    parser.add_argument("--count", type=int, default=1, help="lookups to send at once")
    parser.add_argument("--timeout", type=float, default=30, help="seconds to wait for each reply")
    args = parser.parse_args()
    asyncio.run(
        main(
            args.ident,
            bootstrap=args.bootstrap,
            request_topic=args.request_topic or topics.request_topic(args.caller),
            reply_topic=args.reply_topic or topics.reply_topic(args.caller),
            count=args.count,
            timeout=args.timeout,
        )
    )
