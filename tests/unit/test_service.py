"""The lookup service's decisions, with NAV replaced by a recording fake."""

import logging
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from adapter.kafka.records import Incoming
from adapter.lookup.policy import LookupPolicy
from adapter.lookup.reply_to import ReplyRoutes
from adapter.lookup.service import LookupService
from adapter.nav.errors import NavRejected
from nav_lookup_contracts import ErrorCode, Operation
from nav_lookup_contracts import headers as h
from nav_lookup_contracts.lookups import LookupBase

POLICY = LookupPolicy(
    scopes_by_request_topic={"req.a": frozenset({"nav:helse/v1/medlemskapsunntak", "nav:arbeid/v1/aap"})},
    caller_by_request_topic={"req.a": "a"},
    replies=ReplyRoutes.build({"req.a": "replies"}, {"req.a": ["my.*"]}, ["req.a", "dlq", "audit"], []),
    dead_letter_topic="dlq",
    audit_topic="audit",
)
FNR = "13097248022"
CONSENT_ID = "5f0c0a52-8a6e-4c39-9a51-3c1a6f1f0b11"


class FakeNav:
    def __init__(self, result: Any = None, error: Exception | None = None) -> None:
        self.calls: list[str] = []
        self.result, self.error = result, error

    async def call(self, op: Operation, request: LookupBase, *, deadline: float | None = None) -> Any:
        self.calls.append(op.name)
        if self.error:
            raise self.error
        return self.result


def _msg(body: Any, topic: str = "req.a") -> Incoming:
    value = body if isinstance(body, bytes) else orjson.dumps(body)
    return Incoming(topic, 0, 7, b"k", value, (("trace", b"1"),))


def _body(operation: str = "medlemskapsunntak.get", **fields: Any) -> dict[str, Any]:
    scope = {
        "medlemskapsunntak.get": "nav:helse/v1/medlemskapsunntak",
        "aap.vedtak": "nav:arbeid/v1/aap",
        "frikort.brev": "nav:helserefusjon/v1/frikort",
    }[operation]
    return {"request_id": str(uuid.uuid4()), "operation": operation, "scope": scope, **fields}


async def test_garbage_is_a_dead_letter_with_original_bytes_and_reason() -> None:
    nav = FakeNav()
    [dead] = await LookupService(nav=nav, policy=POLICY).handle(_msg(b"\xff not json"))
    assert dead.topic == "dlq" and dead.value == b"\xff not json"
    headers = dict(dead.headers)
    assert headers[h.DLQ_REASON] == b"not JSON" and headers["trace"] == b"1"
    assert headers[h.DLQ_SOURCE_OFFSET] == b"7"
    assert nav.calls == []


async def test_no_request_id_is_a_dead_letter() -> None:
    service = LookupService(nav=FakeNav(), policy=POLICY)
    [dead] = await service.handle(_msg({"operation": "x"}))
    assert dead.topic == "dlq"


@pytest.mark.parametrize(
    "spelling", [str.upper, lambda s: s.replace("-", ""), lambda s: "{" + s + "}", lambda s: "urn:uuid:" + s]
)
async def test_a_request_id_in_another_spelling_is_a_dead_letter_not_a_reply_it_cannot_match(
    spelling: Any,
) -> None:
    nav = FakeNav()
    body = _body(unntak_id=1)
    body["request_id"] = spelling(body["request_id"])
    [dead] = await LookupService(nav=nav, policy=POLICY).handle(_msg(body))
    assert dead.topic == "dlq" and b"canonical" in dict(dead.headers)[h.DLQ_REASON]
    assert nav.calls == []


async def test_invalid_request_gets_a_typed_error_reply_listing_problems() -> None:
    nav = FakeNav()
    body = _body("aap.vedtak", ident="13097248032", fom_dato="not a date")
    reply, audit = await LookupService(nav=nav, policy=POLICY).handle(_msg(body))
    parsed = orjson.loads(reply.value)
    assert reply.topic == "replies"
    assert parsed["error"]["code"] == "INVALID_REQUEST" and parsed["error"]["retryable"] is False
    assert "ident" in parsed["error"]["message"] and "fom_dato" in parsed["error"]["message"]
    assert "13097248032" not in reply.value.decode() + audit.value.decode()
    assert dict(reply.headers)[h.CORRELATION_ID] == body["request_id"].encode()
    assert nav.calls == []


async def test_scope_not_allowed_for_this_caller() -> None:
    nav = FakeNav()
    reply, _ = await LookupService(nav=nav, policy=POLICY).handle(_msg(_body("frikort.brev", ident=FNR)))
    assert orjson.loads(reply.value)["error"]["code"] == "SCOPE_NOT_ALLOWED"
    assert nav.calls == []


async def test_scope_must_be_the_operations_scope() -> None:
    body = _body(unntak_id=1) | {"scope": "nav:arbeid/v1/aap"}
    reply, _ = await LookupService(nav=FakeNav(), policy=POLICY).handle(_msg(body))
    assert orjson.loads(reply.value)["error"]["code"] == "INVALID_REQUEST"


async def test_consent_required_before_calling_nav() -> None:
    nav = FakeNav()
    reply, _ = await LookupService(nav=nav, policy=POLICY).handle(_msg(_body("aap.vedtak", ident=FNR)))
    assert orjson.loads(reply.value)["error"]["code"] == "CONSENT_REQUIRED"
    assert nav.calls == []


async def test_a_consent_id_that_is_no_uuid_is_the_callers_error() -> None:
    nav = FakeNav()
    body = _body("aap.vedtak", ident=FNR, consent_id="dG9r\r\nX-Injected: 1")
    reply, _ = await LookupService(nav=nav, policy=POLICY).handle(_msg(body))
    error = orjson.loads(reply.value)["error"]
    assert error["code"] == "INVALID_REQUEST" and error["retryable"] is False
    assert "dG9r" not in error["message"]
    assert nav.calls == []


async def test_an_altinn_2_consent_token_is_a_consent() -> None:
    nav = FakeNav(result=_vedtak())
    body = _body("aap.vedtak", ident=FNR, consent_token="c2FtdHlra2U=")
    reply, audit = await LookupService(nav=nav, policy=POLICY).handle(_msg(body))
    assert "error" not in orjson.loads(reply.value)
    assert nav.calls == ["aap.vedtak"]
    assert b"c2FtdHlra2U" not in audit.value


async def test_both_kinds_of_consent_at_once_are_the_callers_error_before_nav() -> None:
    nav = FakeNav(result=_vedtak())
    body = _body("aap.vedtak", ident=FNR, consent_id=CONSENT_ID, consent_token="c2FtdHlra2U=")
    reply, audit = await LookupService(nav=nav, policy=POLICY).handle(_msg(body))
    error = orjson.loads(reply.value)["error"]
    assert error["code"] == "INVALID_REQUEST" and error["retryable"] is False
    assert "not both" in error["message"]
    assert b"c2FtdHlra2U" not in reply.value + audit.value
    assert nav.calls == []


@pytest.mark.parametrize("token", ["", "c2Ft\r\nX-Injected: 1", "tøken"])
async def test_an_empty_consent_token_is_a_missing_one_and_a_bad_one_the_callers_error(token: str) -> None:
    nav = FakeNav(result=_vedtak())
    body = _body("aap.vedtak", ident=FNR, consent_token=token)
    reply, _ = await LookupService(nav=nav, policy=POLICY).handle(_msg(body))
    error = orjson.loads(reply.value)["error"]
    assert error["code"] == ("CONSENT_REQUIRED" if token == "" else "INVALID_REQUEST")
    assert error["retryable"] is False
    assert "c2Ft" not in error["message"] and "tøken" not in error["message"]
    assert nav.calls == []


@pytest.mark.parametrize("ident", ["１３０９７２４８０２２", "١٣٠٩٧٢٤٨٠٢٢"])
async def test_an_ident_in_non_ascii_digits_is_the_callers_error(ident: str) -> None:
    nav = FakeNav()
    body = _body("aap.vedtak", ident=ident, consent_id=CONSENT_ID)
    reply, _ = await LookupService(nav=nav, policy=POLICY).handle(_msg(body))
    assert orjson.loads(reply.value)["error"]["code"] == "INVALID_REQUEST"
    assert nav.calls == []


async def test_a_request_over_the_size_or_header_limit_is_refused_without_a_nav_call() -> None:
    nav = FakeNav()
    service = LookupService(nav=nav, policy=POLICY)
    large = _body(unntak_id=1, padding="x" * (10 << 20))
    reply, _ = await service.handle(_msg(large))
    assert orjson.loads(reply.value)["error"]["message"] == "request over 1048576 bytes"
    many = Incoming("req.a", 0, 8, b"k", orjson.dumps(_body(unntak_id=1)), [("h", b"v")] * 10_000)
    reply, _ = await service.handle(many)
    assert orjson.loads(reply.value)["error"]["message"] == "request with over 64 headers"
    assert nav.calls == []


async def test_a_list_past_its_bound_is_refused_before_its_items_are_validated() -> None:
    nav = FakeNav()
    body = _body(unntak_id=1, nested={"deep": [[0] * 100_000]})
    started = time.perf_counter()
    reply, _ = await LookupService(nav=nav, policy=POLICY).handle(_msg(body))
    assert time.perf_counter() - started < 1.0  # generous on a busy machine; a few ms alone
    assert orjson.loads(reply.value)["error"]["message"] == "a list with over 100 items"
    assert nav.calls == []


@pytest.mark.parametrize(
    "fields",
    [
        {"unntak_id": 1, "inkluder_sporingsinfo": None},
        {"unntak_id": True},
        {"unntak_id": "1000000"},
        {"unntak_id": 1.0},
        {"unntak_id": 1, "deadline": 0},
    ],
    ids=["null", "true-for-int", "string-for-int", "float-for-int", "number-for-datetime"],
)
async def test_what_the_schema_rejects_the_adapter_rejects(fields: dict[str, Any]) -> None:
    nav = FakeNav()
    reply, _ = await LookupService(nav=nav, policy=POLICY).handle(_msg(_body(**fields)))
    assert orjson.loads(reply.value)["error"]["code"] == "INVALID_REQUEST"
    assert nav.calls == []


async def test_a_date_is_an_iso_string() -> None:
    nav = FakeNav()
    body = _body("aap.vedtak", ident=FNR, consent_id=CONSENT_ID, fom_dato=0)
    reply, _ = await LookupService(nav=nav, policy=POLICY).handle(_msg(body))
    assert orjson.loads(reply.value)["error"]["code"] == "INVALID_REQUEST"
    assert nav.calls == []


async def test_expired_deadline_is_not_called() -> None:
    nav = FakeNav()
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    reply, _ = await LookupService(nav=nav, policy=POLICY).handle(_msg(_body(unntak_id=1, deadline=past)))
    assert orjson.loads(reply.value)["error"]["code"] == "EXPIRED"
    assert nav.calls == []


async def test_nav_error_becomes_typed_reply_and_audit_masks_the_ident() -> None:
    nav = FakeNav(error=NavRejected(ErrorCode.NOT_FOUND, "aap.vedtak: NAV answered 404", http_status=404))
    body = _body("aap.vedtak", ident=FNR, consent_id=CONSENT_ID, reply_to="my.replies")
    reply, audit = await LookupService(nav=nav, policy=POLICY).handle(_msg(body))
    error = orjson.loads(reply.value)["error"]
    assert reply.topic == "my.replies"
    assert error == {
        "code": "NOT_FOUND",
        "retryable": False,
        "message": "aap.vedtak: NAV answered 404",
        "http_status": 404,
    }
    record = orjson.loads(audit.value)
    assert record["masked_ident"] == "130972*****" and record["outcome"] == "NOT_FOUND"
    assert record["caller"] == "a" and record["request_id"] == body["request_id"]
    assert FNR not in audit.value.decode()


async def test_ok_reply_carries_the_typed_result() -> None:
    from nav_lookup_contracts.nav.aap import Periode, VedtakResponse

    result = VedtakResponse(uttrekksperiode=Periode(fraDato=None, tilDato=None), vedtaksliste=[])
    body = _body("aap.vedtak", ident=FNR, consent_id=CONSENT_ID)
    reply, _ = await LookupService(nav=FakeNav(result=result), policy=POLICY).handle(_msg(body))
    parsed = orjson.loads(reply.value)
    assert parsed == {
        "request_id": body["request_id"],
        "operation": "aap.vedtak",
        "status": "ok",
        "result": {"uttrekksperiode": {}, "vedtaksliste": []},
    }


async def test_an_unexpected_exception_is_an_internal_error_not_a_crash() -> None:
    reply, _ = await LookupService(nav=FakeNav(error=RuntimeError("boom")), policy=POLICY).handle(
        _msg(_body(unntak_id=1))
    )
    assert orjson.loads(reply.value)["error"]["code"] == "INTERNAL"
    assert orjson.loads(reply.value)["error"]["retryable"] is False


async def test_a_request_id_seen_again_is_answered_without_calling_nav_again() -> None:
    from nav_lookup_contracts.nav.aap import Periode, VedtakResponse

    nav = FakeNav(result=VedtakResponse(uttrekksperiode=Periode(), vedtaksliste=[]))
    service = LookupService(nav=nav, policy=POLICY)
    body = _body("aap.vedtak", ident=FNR, consent_id=CONSENT_ID)
    first, _ = await service.handle(_msg(body))
    [again] = await service.handle(_msg(body))
    assert again.value == first.value and again.topic == first.topic
    assert nav.calls == ["aap.vedtak"]


def _vedtak() -> Any:
    from nav_lookup_contracts.nav.aap import Periode, VedtakResponse

    return VedtakResponse(uttrekksperiode=Periode(), vedtaksliste=[])


TWO_CALLERS = LookupPolicy(
    scopes_by_request_topic={
        "req.a": frozenset({"nav:arbeid/v1/aap"}),
        "req.b": frozenset({"nav:arbeid/v1/aap"}),
        "req.c": frozenset(),
    },
    caller_by_request_topic={"req.a": "a", "req.b": "b", "req.c": "c"},
    replies=ReplyRoutes.build(
        {"req.a": "replies.a", "req.b": "replies.b", "req.c": "replies.c"},
        {"req.a": ["replies.b", "shared.*"], "req.b": ["replies.*"]},
        ["req.a", "req.b", "req.c", "dlq", "audit", "retry.1"],
        ["events.*", "checkpoints"],
    ),
    dead_letter_topic="dlq",
    audit_topic="audit",
)


async def test_another_callers_request_id_is_a_new_request_for_that_caller() -> None:
    nav = FakeNav(result=_vedtak())
    service = LookupService(nav=nav, policy=TWO_CALLERS)
    body = _body("aap.vedtak", ident=FNR, consent_id=CONSENT_ID)
    await service.handle(_msg(body, topic="req.a"))
    await service.handle(_msg(body, topic="req.b"))
    assert nav.calls == ["aap.vedtak"] * 2


async def test_a_seen_request_id_does_not_skip_the_callers_scope_check() -> None:
    nav = FakeNav(result=_vedtak())
    service = LookupService(nav=nav, policy=TWO_CALLERS)
    body = _body("aap.vedtak", ident=FNR, consent_id=CONSENT_ID)
    await service.handle(_msg(body, topic="req.a"))
    reply, _ = await service.handle(_msg(body, topic="req.c"))
    assert orjson.loads(reply.value)["error"]["code"] == "SCOPE_NOT_ALLOWED"
    assert nav.calls == ["aap.vedtak"]


async def test_a_request_id_reused_for_a_different_request_is_refused() -> None:
    nav = FakeNav(result=_vedtak())
    service = LookupService(nav=nav, policy=POLICY)
    first = _body("aap.vedtak", ident=FNR, consent_id=CONSENT_ID)
    await service.handle(_msg(first))
    reply, _ = await service.handle(_msg({**first, "consent_id": "0f1e2d3c-4b5a-4978-8685-746352413021"}))
    error = orjson.loads(reply.value)["error"]
    assert error["code"] == "INVALID_REQUEST"
    assert error["message"] == "request_id reused for a different request"
    assert nav.calls == ["aap.vedtak"]
    [again] = await service.handle(_msg(first))  # the first request is still answered from the cache
    assert nav.calls == ["aap.vedtak"]
    assert "error" not in orjson.loads(again.value)


async def test_a_request_id_reused_with_another_consent_token_is_refused() -> None:
    nav = FakeNav(result=_vedtak())
    service = LookupService(nav=nav, policy=POLICY)
    first = _body("aap.vedtak", ident=FNR, consent_token="dG9r")
    await service.handle(_msg(first))
    reply, _ = await service.handle(_msg({**first, "consent_token": "b3RoZXI="}))
    error = orjson.loads(reply.value)["error"]
    assert error["message"] == "request_id reused for a different request"
    assert nav.calls == ["aap.vedtak"]


async def test_retryable_failures_are_not_remembered() -> None:
    from adapter.nav.errors import NavUnavailable

    nav = FakeNav(error=NavUnavailable(ErrorCode.UPSTREAM_UNAVAILABLE, "down"))
    service = LookupService(nav=nav, policy=POLICY)
    body = _body(unntak_id=1)
    await service.handle(_msg(body))
    await service.handle(_msg(body))
    assert nav.calls == ["medlemskapsunntak.get"] * 2


async def test_caller_quota_answers_rate_limited_without_calling_nav() -> None:
    import dataclasses

    policy = dataclasses.replace(POLICY, quotas_per_second={"a": 2.0})
    now = [0.0]
    nav = FakeNav(error=NavRejected(ErrorCode.NOT_FOUND, "x", http_status=404))
    service = LookupService(nav=nav, policy=policy, monotonic=lambda: now[0])
    codes = [
        orjson.loads((await service.handle(_msg(_body(unntak_id=1))))[0].value)["error"]["code"]
        for _ in range(3)
    ]
    assert codes == ["NOT_FOUND", "NOT_FOUND", "RATE_LIMITED"]
    assert len(nav.calls) == 2
    now[0] = 1.0
    reply, _ = await service.handle(_msg(_body(unntak_id=1)))
    assert orjson.loads(reply.value)["error"]["code"] == "NOT_FOUND"


async def test_reply_and_audit_keys_can_be_an_hmac_of_the_ident() -> None:
    import dataclasses
    import hashlib
    import hmac

    policy = dataclasses.replace(POLICY, key_secret=b"k")
    nav = FakeNav(error=NavRejected(ErrorCode.NOT_FOUND, "x", http_status=404))
    reply, audit = await LookupService(nav=nav, policy=policy).handle(
        _msg(_body("aap.vedtak", ident=FNR, consent_id=CONSENT_ID))
    )
    expected = hmac.new(b"k", FNR.encode(), hashlib.sha256).hexdigest().encode()
    assert reply.key == expected and audit.key == expected


async def test_an_ok_lookup_logs_at_debug_and_a_refused_one_at_info(caplog: pytest.LogCaptureFixture) -> None:
    from nav_lookup_contracts.nav.aap import Periode, VedtakResponse

    result = VedtakResponse(uttrekksperiode=Periode(fraDato=None, tilDato=None), vedtaksliste=[])
    service = LookupService(nav=FakeNav(result=result), policy=POLICY)
    with caplog.at_level(logging.DEBUG, logger="adapter.lookup.service"):
        await service.handle(_msg(_body("aap.vedtak", ident=FNR, consent_id=CONSENT_ID)))
        await service.handle(_msg(_body("frikort.brev", ident=FNR)))
    outcomes = {
        r.getMessage().rsplit("outcome=", 1)[1]: r.levelno for r in caplog.records if "outcome=" in r.msg
    }
    assert outcomes == {"ok": logging.DEBUG, "SCOPE_NOT_ALLOWED": logging.INFO}


@pytest.mark.parametrize(
    "reply_to",
    [
        "req.a",
        "audit",
        "dlq",
        "__consumer_offsets",
        ".",
        "..",
        "." * 300,
        "x" * 250,
        "bad topic!",
        7,
        "other",
    ],
)
async def test_a_reply_to_the_caller_may_not_write_to_is_refused_on_the_default_reply_topic(
    reply_to: object,
) -> None:
    nav = FakeNav(result=_vedtak())
    body = _body("aap.vedtak", ident=FNR, consent_id=CONSENT_ID, reply_to=reply_to)
    reply, audit = await LookupService(nav=nav, policy=POLICY).handle(_msg(body))
    assert reply.topic == "replies" and audit.topic == "audit"
    error = orjson.loads(reply.value)["error"]
    assert (error["code"], error["message"]) == ("INVALID_REQUEST", "reply_to not allowed for this caller")
    assert nav.calls == []


@pytest.mark.parametrize(
    ("topic", "reply_to", "lands_on"),
    [
        ("req.a", None, "replies.a"),
        ("req.a", "replies.a", "replies.a"),
        ("req.a", "replies.b", "replies.b"),  # named in full on a's list
        ("req.a", "shared.x", "shared.x"),
        ("req.a", "replies.c", None),  # another caller's, not on a's list
        ("req.b", "replies.a", None),  # another caller's reply topic never through a prefix
        ("req.b", "replies.other", "replies.other"),
        ("req.b", "replies.", "replies."),
        ("req.c", "shared.x", None),  # c's list is its own reply topic only
        ("req.a", "retry.1", None),
        ("req.a", "checkpoints", None),
        ("req.b", "req.a", None),
    ],
)
async def test_each_caller_has_its_own_reply_topic_and_reply_to_only_from_its_list(
    topic: str, reply_to: str | None, lands_on: str | None
) -> None:
    body = _body("aap.vedtak", ident=FNR, consent_token="dG9r")
    if reply_to is not None:
        body["reply_to"] = reply_to
    reply, _ = await LookupService(nav=FakeNav(result=_vedtak()), policy=TWO_CALLERS).handle(
        _msg(body, topic=topic)
    )
    own = {"req.a": "replies.a", "req.b": "replies.b", "req.c": "replies.c"}[topic]
    assert reply.topic == (lands_on or own)
    refused = (
        orjson.loads(reply.value).get("error", {}).get("message") == "reply_to not allowed for this caller"
    )
    assert refused == (lands_on is None)


def test_a_prefix_allow_list_never_reaches_the_denied_topics() -> None:
    every = ["nav.*", "req.*", "dlq*", "__*", ".*", "any*"]
    routes = ReplyRoutes.build({"req.a": "r.a"}, {"req.a": every}, ["req.a", "dlq"], ["nav.events.v1.*"])
    assert routes.allows("req.a", "anything.else") and routes.allows("req.a", "nav.mine")
    for denied in ("req.a", "dlq", "nav.events.v1.trygdehendelser", "__consumer_offsets", ".", ".."):
        assert not routes.allows("req.a", denied), denied
