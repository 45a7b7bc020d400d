"""The JVM caller of examples/jvm, built with Maven and run against the `nav-adapter lookups`
process: one lookup of each NAV API, its replies read as the types generated from the schemas."""

import asyncio
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from nav_lookup_contracts.operations import APIS, OPERATIONS_BY_NAME
from nav_sandbox import PEOPLE, consent_of
from tests.support.processes import AdapterProcess
from tests.support.stack import open_stack

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
PROJECT = ROOT / "examples" / "jvm"
PERSON = PEOPLE[0]
TPNR = sorted(PERSON.tp_ordninger)[0]
CONSENT = str(consent_of(PERSON.ident).id)


@pytest.fixture(scope="module")
def caller_jar() -> Path:
    if shutil.which("mvn") is None or shutil.which("java") is None:
        pytest.skip("java or mvn missing: the JVM caller cannot be built")
    # The first build fetches the plugins and kafka-clients from Maven Central into ~/.m2.
    subprocess.run(["mvn", "-q", "-B", "-f", str(PROJECT / "pom.xml"), "package"], check=True, timeout=900)
    return PROJECT / "target" / "nav-lookup-caller.jar"


def _lines(stdout: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.decode().splitlines() if line.startswith("{")]


async def test_the_jvm_caller_gets_a_typed_reply_from_every_nav_api(
    caller_jar: Path, kafka_bootstrap: str, tmp_path: Path
) -> None:
    async with open_stack(kafka_bootstrap, tmp_path, in_process_adapter=False) as stack:
        adapter = AdapterProcess(stack.environment(), tmp_path / "adapter.log")
        adapter.start()
        try:
            java = await asyncio.create_subprocess_exec(
                "java",
                "-jar",
                str(caller_jar),
                f"bootstrap={stack.bootstrap}",
                f"request_topic={stack.topic('team-a')}",
                f"reply_topic={stack.settings.reply_topic_of('team-a')}",
                f"ident={PERSON.ident}",
                f"consent_id={CONSENT}",
                f"tpnr={TPNR}",
                "timeout_seconds=120",
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            stdout, stderr = await asyncio.wait_for(java.communicate(), 300)
            assert java.returncode == 0, stderr.decode()[-2000:]
            replies = _lines(stdout)
            # What the adapter wrote, as the test's own consumer of the reply topic read it.
            sent = {
                r["reply"]["request_id"]: await stack.reply_for(r["reply"]["request_id"]) for r in replies
            }
        finally:
            assert adapter.terminate() == 0

    operations = [r["operation"] for r in replies]
    assert sorted(operations) == sorted(set(operations))
    assert {OPERATIONS_BY_NAME[o].api for o in operations} == set(APIS)
    for line in replies:
        op = OPERATIONS_BY_NAME[line["operation"]]
        assert line["type"].startswith("Reply"), line
        # Read back by the Python contracts, the JVM's typed reply is what the adapter sent.
        typed = op.reply_model.model_validate(line["reply"])
        assert typed == op.reply_model.model_validate(sent[str(typed.request_id)])
    by_operation = {r["operation"]: r["reply"] for r in replies}
    assert {u["unntakId"] for u in by_operation["medlemskapsunntak.search"]["result"]} == {
        u.unntakId for u in PERSON.medlemskapsunntak
    }
    assert by_operation["uforeopplysninger.get"]["result"]["status"] == PERSON.uforedata.status.value
