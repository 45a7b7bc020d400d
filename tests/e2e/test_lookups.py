"""Every lookup operation, and every way a lookup can fail, through Kafka and HTTP."""

import asyncio
import uuid
from typing import Any

import orjson
import pytest

from nav_lookup_contracts import OPERATIONS_BY_NAME, ErrorCode
from nav_sandbox import PEOPLE, UNKNOWN_IDENT, consent_of
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e

PERSON = PEOPLE[0]
TPNR = sorted(PERSON.tp_ordninger)[0] if PERSON.tp_ordninger else "3010"
CONSENT = str(consent_of(PERSON.ident).id)

SIMULERING = {
    "fnr": PERSON.ident,
    "sivilstandVedPensjonering": "UGIF",
    "forsteUttak": {"datoFom": "2027-01-01", "grad": 100},
}

EVERY_OPERATION: dict[str, dict[str, Any]] = {
    "medlemskapsunntak.get": {
        "unntak_id": PERSON.medlemskapsunntak[0].unntakId,
        "inkluder_sporingsinfo": True,
    },
    "medlemskapsunntak.search": {"ident": PERSON.ident},
    "uforeopplysninger.get": {"ident": PERSON.ident, "consent_id": CONSENT},
    "aap.vedtak": {"ident": PERSON.ident, "consent_id": CONSENT},
    "aap.meldekort": {"ident": PERSON.ident, "consent_id": CONSENT},
    "frikort.brev": {"ident": PERSON.ident},
    "sareksport.samhandlere": {"side": 0, "antall": 5},
    "pensjon.vedtaksinformasjon": {"ident": PERSON.ident, "tpnr": TPNR, "fom": "2020-01-01"},
    "pensjon.simuler_alderspensjon": {"tpnr": TPNR, "simulering": SIMULERING},
}


def test_every_operation_in_the_table_is_exercised() -> None:
    assert set(EVERY_OPERATION) == set(OPERATIONS_BY_NAME)


@pytest.mark.parametrize("operation", sorted(EVERY_OPERATION))
async def test_every_operation_answers_with_its_typed_result(stack: Stack, operation: str) -> None:
    reply = await stack.ask(operation, **EVERY_OPERATION[operation])
    assert reply["status"] == "ok", reply
    op = OPERATIONS_BY_NAME[operation]
    reply_model = op.reply_model.model_validate(reply)
    assert reply_model.operation == operation
    assert op.result_adapter.validate_python(reply["result"]) is not None


async def test_nav_sees_call_id_consumer_id_and_subscription_key(stack: Stack) -> None:
    reply = await stack.ask("medlemskapsunntak.search", ident=PERSON.ident)
    seen = (await stack.http.get("/_sandbox/requests")).json()
    mine = [r for r in _as_list(seen) if _header(r, "nav-call-id") == reply["request_id"]]
    assert mine, "the sandbox never saw the request's Nav-Call-Id"
    assert _header(mine[-1], "nav-consumer-id") == stack.nav.consumer_id


@pytest.mark.tansu_smoke
async def test_search_by_ident_returns_the_persons_periods(stack: Stack) -> None:
    reply = await stack.ask("medlemskapsunntak.search", ident=PERSON.ident)
    assert {p["unntakId"] for p in reply["result"]} == {u.unntakId for u in PERSON.medlemskapsunntak}
    assert all(p["ident"] == PERSON.ident for p in reply["result"])


async def test_bad_ident_is_invalid_request_and_nav_is_not_called(stack: Stack) -> None:
    before = await _nav_requests(stack)
    reply = await stack.ask("medlemskapsunntak.search", ident="13097248032")
    assert reply["error"]["code"] == ErrorCode.INVALID_REQUEST
    assert "13097248032" not in orjson.dumps(reply).decode()
    assert await _nav_requests(stack) == before


async def test_forbidden_scope_for_this_caller(stack: Stack) -> None:
    reply = await stack.ask("aap.vedtak", caller="team-limited", ident=PERSON.ident, consent_id=CONSENT)
    assert reply["error"]["code"] == ErrorCode.SCOPE_NOT_ALLOWED
    allowed = await stack.ask("medlemskapsunntak.search", caller="team-limited", ident=PERSON.ident)
    assert allowed["status"] == "ok"


async def test_missing_consent(stack: Stack) -> None:
    reply = await stack.ask("uforeopplysninger.get", ident=PERSON.ident)
    assert reply["error"]["code"] == ErrorCode.CONSENT_REQUIRED


@pytest.mark.tansu_smoke
async def test_unknown_subject_is_not_found(stack: Stack) -> None:
    reply = await stack.ask("medlemskapsunntak.get", unntak_id=987654321)
    assert reply["error"]["code"] == ErrorCode.NOT_FOUND and reply["error"]["http_status"] == 404
    reply = await stack.ask("frikort.brev", ident=UNKNOWN_IDENT)
    assert reply["error"]["code"] == ErrorCode.NOT_FOUND


async def test_unknown_person_on_dsop_apis_is_an_empty_result(stack: Stack) -> None:
    reply = await stack.ask("aap.vedtak", ident=UNKNOWN_IDENT, consent_id=str(consent_of(UNKNOWN_IDENT).id))
    assert reply["status"] == "ok" and reply["result"]["vedtaksliste"] == []


async def test_expired_token_is_refreshed_once_and_the_lookup_succeeds(stack: Stack) -> None:
    assert (await stack.ask("frikort.brev", ident=PERSON.ident))["status"] == "ok"
    fetches_before = await _token_fetches(stack, "nav:helserefusjon/v1/frikort")
    (await stack.http.post("/_sandbox/tokens/expire")).raise_for_status()
    reply = await stack.ask("frikort.brev", ident=PERSON.ident)
    assert reply["status"] == "ok"
    assert await _token_fetches(stack, "nav:helserefusjon/v1/frikort") == fetches_before + 1


@pytest.mark.tansu_smoke
async def test_garbage_goes_to_the_dead_letter_topic_and_the_consumer_carries_on(
    stack: Stack,
) -> None:
    marker = uuid.uuid4().hex.encode()
    await stack.send_raw("team-a", b"\x00garbage " + marker, key=b"junk")
    await stack.wait_for(lambda: any(marker in v for v, _ in stack.replies.dead_letters))
    headers = next(hd for v, hd in stack.replies.dead_letters if marker in v)
    assert headers["dlq-reason"] == b"not JSON"
    assert headers["dlq-source-topic"] == stack.topic("team-a").encode()
    assert (await stack.ask("frikort.brev", ident=PERSON.ident))["status"] == "ok"


async def test_garbage_claiming_to_be_json_is_still_a_dead_letter(stack: Stack) -> None:
    marker = uuid.uuid4().hex.encode()
    await stack.producer.send_and_wait(
        stack.topic("team-a"), b"{not json " + marker, headers=[("content-type", b"application/json")]
    )
    await stack.wait_for(lambda: any(marker in v for v, _ in stack.replies.dead_letters))
    assert (await stack.ask("frikort.brev", ident=PERSON.ident))["status"] == "ok"


async def test_binary_headers_do_not_lose_the_message(stack: Stack) -> None:
    marker = uuid.uuid4().hex.encode()
    await stack.producer.send_and_wait(stack.topic("team-a"), b"junk " + marker, headers=[("h", b"\xff\xfe")])
    await stack.wait_for(lambda: any(marker in v for v, _ in stack.replies.dead_letters))
    headers = next(hd for v, hd in stack.replies.dead_letters if marker in v)
    assert headers["h"] == b"\xff\xfe"


async def test_outage_is_a_retryable_error_and_recovery_answers_again(stack: Stack) -> None:
    (await stack.http.post("/_sandbox/faults", json={"status": 503})).raise_for_status()
    reply = await stack.ask("frikort.brev", ident=PERSON.ident)
    assert reply["error"]["code"] == ErrorCode.UPSTREAM_UNAVAILABLE
    assert reply["error"]["retryable"] is True
    (await stack.http.delete("/_sandbox/faults")).raise_for_status()
    await asyncio.sleep(0.6)  # the circuit's cooldown in these tests
    assert (await stack.ask("frikort.brev", ident=PERSON.ident))["status"] == "ok"


async def test_transient_failures_are_retried_within_the_request(stack: Stack) -> None:
    (await stack.http.post("/_sandbox/faults", json={"status": 502, "count": 1})).raise_for_status()
    assert (await stack.ask("frikort.brev", ident=PERSON.ident))["status"] == "ok"


async def test_every_lookup_is_audited_with_a_masked_ident(stack: Stack) -> None:
    reply = await stack.ask("frikort.brev", ident=PERSON.ident)
    await stack.wait_for(lambda: any(a["request_id"] == reply["request_id"] for a in stack.replies.audit))
    record = next(a for a in stack.replies.audit if a["request_id"] == reply["request_id"])
    assert record["caller"] == "team-a" and record["outcome"] == "ok"
    assert record["masked_ident"] == PERSON.ident[:6] + "*****"


def _as_list(payload: Any) -> list[dict[str, Any]]:
    return payload if isinstance(payload, list) else payload.get("requests", [])


def _header(record: dict[str, Any], name: str) -> str | None:
    headers = record.get("headers", record)
    return next((v for k, v in headers.items() if k.lower() == name), None)


async def _nav_requests(stack: Stack) -> int:
    return len(_as_list((await stack.http.get("/_sandbox/requests")).json()))


async def _token_fetches(stack: Stack, scope: str) -> int:
    stats = (await stack.http.get("/_sandbox/stats")).json()
    fetches = stats.get("token_fetches", {})
    return int(fetches.get(scope, 0))
