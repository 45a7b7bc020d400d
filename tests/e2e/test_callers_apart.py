"""Callers stay apart in the running `nav-adapter lookups` process: each is answered on its own
reply topic, a reply_to only where its list allows, and one caller's request_id never answers
another caller."""

import uuid
from pathlib import Path

import orjson
import pytest

from adapter.kafka.topics import ensure_topics
from devtools.request_tool import build_request, request_reply
from nav_lookup_contracts import ErrorCode
from nav_lookup_contracts import headers as h
from nav_sandbox import PEOPLE, consent_of
from tests.support.processes import AdapterProcess
from tests.support.request_corpus import CORPUS
from tests.support.stack import open_stack

pytestmark = pytest.mark.e2e

CONSENT = str(consent_of(PEOPLE[0].ident).id)


async def test_a_second_caller_reusing_a_request_id_gets_its_own_evaluation(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    async with open_stack(kafka_bootstrap, tmp_path, in_process_adapter=False) as stack:
        adapter = AdapterProcess(stack.environment(), tmp_path / "adapter.log")
        adapter.start()
        try:
            request_id = str(uuid.uuid4())
            body = {
                "request_id": request_id,
                "operation": "aap.vedtak",
                "scope": "nav:arbeid/v1/aap",
                "ident": PEOPLE[0].ident,
                "consent_id": CONSENT,
            }
            await stack.send_raw("team-a", orjson.dumps(body), key=request_id.encode())
            first = await stack.reply_for(request_id, timeout=90)
            assert first["status"] == "ok", first

            # team-limited may not use the aap scope: the first caller's answer is not its to have.
            await stack.send_raw("team-limited", orjson.dumps(body), key=request_id.encode())
            await stack.wait_for(lambda: stack.replies.reply_count[request_id] == 2, 60)
            second = stack.replies.by_request_id[request_id]
            assert second["error"]["code"] == ErrorCode.SCOPE_NOT_ALLOWED
            assert "result" not in second
        finally:
            assert adapter.terminate() == 0


async def test_each_caller_is_answered_on_its_own_reply_topic_and_a_listed_reply_to(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    async with open_stack(kafka_bootstrap, tmp_path, in_process_adapter=False) as stack:
        own = stack.own_topic("team-a", "listed")
        await ensure_topics(stack.kafka, [own])
        adapter = AdapterProcess(stack.environment(), tmp_path / "adapter.log")
        adapter.start()
        try:
            a = await stack.ask("medlemskapsunntak.search", "team-a", 90, ident=PEOPLE[0].ident)
            limited = await stack.ask("medlemskapsunntak.search", "team-limited", 90, ident=PEOPLE[0].ident)
            assert a["status"] == limited["status"] == "ok"
            assert stack.replies.reply_topic[a["request_id"]] == stack.reply_topic("team-a")
            assert stack.replies.reply_topic[limited["request_id"]] == stack.reply_topic("team-limited")
            assert await stack.correlation_ids_on(stack.reply_topic("team-limited")) == [
                limited["request_id"]
            ]

            # reply_to on team-a's list (a prefix of its own): the reply goes there and only there.
            request = build_request("medlemskapsunntak.search", {"ident": PEOPLE[0].ident, "reply_to": own})
            reply = await request_reply(stack.kafka, stack.topic("team-a"), own, request, timeout=90)
            assert reply["status"] == "ok"
            assert request["request_id"] not in stack.replies.by_request_id
        finally:
            assert adapter.terminate() == 0


async def test_a_forbidden_reply_to_is_answered_on_the_callers_topic_and_nothing_written_there(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    async with open_stack(kafka_bootstrap, tmp_path, in_process_adapter=False) as stack:
        adapter = AdapterProcess(stack.environment(), tmp_path / "adapter.log")
        adapter.start()
        try:
            [retry_topic, _] = [topic for topic, _ in stack.settings.retry_topics()]
            existing = [
                stack.reply_topic("team-limited"),
                stack.topic("team-limited"),
                stack.topic("team-a"),
                retry_topic,
                stack.settings.dead_letter_topic,
                stack.settings.audit_topic,
            ]
            forbidden = [
                *existing,
                "__consumer_offsets",
                ".",
                "..",
                "." * 300,
                "x" * 250,
                "nav.events.v1.trygdehendelser",
                "nav.bridge.v1.checkpoints",
                "somewhere.else",
            ]
            ids = []
            for reply_to in forbidden:
                request_id = str(uuid.uuid4())
                body = {
                    "request_id": request_id,
                    "operation": "frikort.brev",
                    "scope": "nav:helserefusjon/v1/frikort",
                    "ident": PEOPLE[0].ident,
                    "reply_to": reply_to,
                }
                await stack.send_raw("team-a", orjson.dumps(body), key=request_id.encode())
                ids.append(request_id)
            for request_id in ids:
                reply = await stack.reply_for(request_id, timeout=90)
                assert reply["error"]["code"] == ErrorCode.INVALID_REQUEST
                assert reply["error"]["message"] == "reply_to not allowed for this caller"
                assert stack.replies.reply_count[request_id] == 1
                assert stack.replies.reply_topic[request_id] == stack.reply_topic("team-a")
            # Every request was answered on the caller's topic; none became a dead letter, and none
            # of the named topics holds a record of them.
            assert stack.replies.dead_letters == []
            for topic in existing:
                assert not set(ids) & set(await stack.correlation_ids_on(topic)), topic
        finally:
            assert adapter.terminate() == 0


async def test_hostile_field_values_are_the_callers_error_never_internal(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    async with open_stack(kafka_bootstrap, tmp_path, in_process_adapter=False) as stack:
        adapter = AdapterProcess(stack.environment(), tmp_path / "adapter.log")
        adapter.start()
        try:
            fullwidth = "".join(chr(ord("０") + int(c)) for c in PEOPLE[0].ident)
            cases = {
                "fullwidth ident": (
                    {"ident": fullwidth, "consent_id": CONSENT},
                    ErrorCode.INVALID_REQUEST,
                ),
                "CRLF in the consent id": (
                    {"ident": PEOPLE[0].ident, "consent_id": CONSENT + "\r\nX-Injected: 1"},
                    ErrorCode.INVALID_REQUEST,
                ),
                "non-ASCII consent id": (
                    {"ident": PEOPLE[0].ident, "consent_id": "tøken"},
                    ErrorCode.INVALID_REQUEST,
                ),
                "empty consent id": (
                    {"ident": PEOPLE[0].ident, "consent_id": ""},
                    ErrorCode.CONSENT_REQUIRED,
                ),
                "number for a date": (
                    {"ident": PEOPLE[0].ident, "consent_id": CONSENT, "fom_dato": 0},
                    ErrorCode.INVALID_REQUEST,
                ),
                "null for an optional field": (
                    {"ident": PEOPLE[0].ident, "consent_id": CONSENT, "tom_dato": None},
                    ErrorCode.INVALID_REQUEST,
                ),
            }
            ids = {}
            for name, (fields, _) in cases.items():
                request_id = str(uuid.uuid4())
                body = {
                    "request_id": request_id,
                    "operation": "aap.vedtak",
                    "scope": "nav:arbeid/v1/aap",
                    **fields,
                }
                await stack.send_raw("team-a", orjson.dumps(body), key=request_id.encode())
                ids[name] = request_id
            for name, (_, code) in cases.items():
                reply = await stack.reply_for(ids[name], timeout=90)
                assert reply["error"]["code"] == code, name
                assert reply["error"]["retryable"] is False, name
            assert stack.replies.dead_letters == []

            # A request_id spelled in upper case could not be matched by its caller: a dead letter.
            upper = str(uuid.uuid4()).upper()
            body = {"request_id": upper, "operation": "frikort.brev", "scope": "nav:helserefusjon/v1/frikort"}
            await stack.send_raw("team-a", orjson.dumps({**body, "ident": PEOPLE[0].ident}), key=b"k")
            await stack.wait_for(lambda: len(stack.replies.dead_letters) == 1, 60)
            value, headers = stack.replies.dead_letters[0]
            assert orjson.loads(value)["request_id"] == upper
            assert b"canonical" in headers[h.DLQ_REASON]
        finally:
            assert adapter.terminate() == 0
    log = (tmp_path / "adapter.log").read_text()
    assert fullwidth not in log and "tøken" not in log


async def test_a_request_past_the_size_or_header_limit_is_invalid_and_the_next_one_answered(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    async with open_stack(kafka_bootstrap, tmp_path, in_process_adapter=False) as stack:
        env = {**stack.environment(), "ADAPTER_MAX_REQUEST_BYTES": "700000"}
        adapter = AdapterProcess(env, tmp_path / "adapter.log")
        adapter.start()
        try:

            def body(**extra: object) -> dict[str, object]:
                return {
                    "request_id": str(uuid.uuid4()),
                    "operation": "frikort.brev",
                    "scope": "nav:helserefusjon/v1/frikort",
                    "ident": PEOPLE[0].ident,
                    **extra,
                }

            large = body(padding="x" * 800_000)
            await stack.send_raw("team-a", orjson.dumps(large), key=b"k")
            crowded = body()
            headers = [(f"h{i}", b"v") for i in range(10_000)]
            await stack.producer.send_and_wait(
                stack.topic("team-a"), orjson.dumps(crowded), key=b"k", headers=headers
            )
            listed = body(statuser=["A"] * 100_000)
            await stack.send_raw("team-a", orjson.dumps(listed), key=b"k")
            after = body()
            await stack.send_raw("team-a", orjson.dumps(after), key=b"k")

            reply = await stack.reply_for(str(large["request_id"]), timeout=90)
            assert reply["error"]["message"] == "request over 700000 bytes"
            reply = await stack.reply_for(str(crowded["request_id"]), timeout=90)
            assert reply["error"]["message"] == "request with over 64 headers"
            reply = await stack.reply_for(str(listed["request_id"]), timeout=90)
            assert reply["error"]["message"] == "a list with over 100 items"
            assert (await stack.reply_for(str(after["request_id"]), timeout=90))["status"] == "ok"
        finally:
            assert adapter.terminate() == 0


async def test_the_schema_corpus_through_the_lookups_process(kafka_bootstrap: str, tmp_path: Path) -> None:
    """The corpus the schema is checked against, as a caller sends it: the schema's verdict is the
    process's, and nothing of it becomes INTERNAL or a dead letter."""
    async with open_stack(kafka_bootstrap, tmp_path, in_process_adapter=False) as stack:
        adapter = AdapterProcess(stack.environment(), tmp_path / "adapter.log")
        adapter.start()
        try:
            sent = {}
            for name, (body, _) in CORPUS.items():
                fresh = {**body, "request_id": str(uuid.uuid4())}
                if name == "request_id not a uuid":
                    continue  # no reply could be correlated: a dead letter, tested apart
                await stack.send_raw("team-a", orjson.dumps(fresh), key=fresh["request_id"].encode())
                sent[name] = fresh["request_id"]
            for name, request_id in sent.items():
                reply = await stack.reply_for(request_id, timeout=120)
                code = reply.get("error", {}).get("code")
                assert code != ErrorCode.INTERNAL, name
                assert (code != ErrorCode.INVALID_REQUEST) == CORPUS[name][1], (name, reply)
            assert stack.replies.dead_letters == []
        finally:
            assert adapter.terminate() == 0
