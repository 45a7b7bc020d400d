"""How a calling service asks the adapter for a lookup, with FastStream and the `contracts` package.

Run against `make run`:  .venv/bin/python -m examples.caller 14435512160
"""

import asyncio
import sys
import uuid

from faststream.kafka import KafkaBroker, KafkaMessage

from nav_lookup_contracts import LOOKUP_REPLY, LookupReply
from nav_lookup_contracts.lookups import MedlemskapsunntakSearch


class LookupCaller:
    """Publishes requests to this caller's request topic and matches replies by correlation id."""

    def __init__(self, broker: KafkaBroker, *, request_topic: str, reply_topic: str, group_id: str) -> None:
        self._broker = broker
        self._request_topic = request_topic
        self._reply_topic = reply_topic
        self._pending: dict[str, asyncio.Future[LookupReply]] = {}
        broker.subscriber(reply_topic, group_id=group_id, auto_offset_reset="earliest")(self._on_reply)

    async def _on_reply(self, message: KafkaMessage) -> None:
        future = self._pending.pop(message.correlation_id, None)
        if future is not None and not future.done():
            future.set_result(LOOKUP_REPLY.validate_json(message.body))

    async def ask(self, request: MedlemskapsunntakSearch, timeout: float = 30) -> LookupReply:
        request_id = str(request.request_id)
        future: asyncio.Future[LookupReply] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        await self._broker.publish(
            request.model_dump_json(exclude_none=True).encode(),
            topic=self._request_topic,
            key=request_id.encode(),
            correlation_id=request_id,
        )
        return await asyncio.wait_for(future, timeout)


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


async def main(ident: str, bootstrap: str = "127.0.0.1:19092") -> None:
    broker = KafkaBroker(bootstrap)
    caller = LookupCaller(
        broker,
        request_topic="nav.lookup.v1.requests.dev",
        reply_topic="nav.lookup.v1.replies.dev",
        group_id="dev-replies",
    )
    async with broker:
        await broker.start()
        reply = await caller.ask(search_request(ident))
        print(reply)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
