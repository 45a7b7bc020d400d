"""`nav-adapter sandbox --people` lists every synthetic person with what each API knows and which
operations need a consent, and what it lists is what the sandbox answers through the adapter."""

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from devtools.embedded_broker import free_port
from nav_lookup_contracts.operations import OPERATIONS
from nav_sandbox import PEOPLE
from tests.support.commands import Command, clean_env

pytestmark = pytest.mark.e2e

NAV_ADAPTER = str(Path(sys.executable).parent / "nav-adapter")


def _listing() -> str:
    done = subprocess.run(
        [NAV_ADAPTER, "sandbox", "--people"], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


def test_the_listing_names_every_person_and_the_consents() -> None:
    listing = _listing()
    blocks = {block.split()[0]: block for block in listing.split("\n\n")[1:] if block[:1].isdigit()}
    for person in PEOPLE:
        block = blocks[person.ident]
        assert person.description in block
        unntak = ", ".join(str(u.unntakId) for u in person.medlemskapsunntak)
        assert f"{len(person.medlemskapsunntak)} unntak: unntak_id {unntak}" in block
        assert f"status {person.uforedata.status.value}" in block
        assert f"{len(person.aap_meldekort)} meldekort" in block
    for op in OPERATIONS:
        assert (op.name in listing.split("\n\n", 1)[0]) == op.needs_consent, op.name


def test_what_the_listing_says_is_what_a_lookup_answers(tmp_path: Path) -> None:
    """Each person's medlemskapsunntak, asked for through `nav-adapter dev` and `request`."""
    listing = _listing()
    ports = [str(free_port()) for _ in range(3)]
    args = ["dev", "--kafka-port", ports[0], "--sandbox-port", ports[1], "--health-port", ports[2]]
    dev = Command.start(args, tmp_path / "dev.out", clean_env(), tmp_path)
    try:
        dev.wait_for("Try next")
        request_args = ["--kafka-port", ports[0], "--timeout", "60"]
        for person in PEOPLE[:3]:
            done = subprocess.run(
                [NAV_ADAPTER, "request", "medlemskapsunntak.search", f"ident={person.ident}", *request_args],
                capture_output=True,
                timeout=120,
                env=clean_env(),
            )
            reply = orjson.loads(done.stdout)
            ids = ", ".join(str(u["unntakId"]) for u in reply["result"])
            assert f"{person.ident}  born" in listing
            assert f"{len(reply['result'])} unntak: unntak_id {ids}" in listing
    finally:
        dev.kill()
