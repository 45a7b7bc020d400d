"""`nav-adapter dev`'s sandbox answers as NAV would: whatever holds the event loop that started it."""

import threading
import time
from pathlib import Path

import httpx
from pydantic import SecretStr

from adapter.nav.tokens import MaskinportenConfig, make_grant
from devtools.dev import DEV_CLIENT_ID, serve_sandbox_apart
from devtools.devkeys import make_dev_keys
from devtools.embedded_broker import free_port
from nav_sandbox import GRANT_TYPE, SandboxConfig

HELD_SECONDS = 5.0
SCOPE = "nav:arbeid/v1/aap"


async def test_a_grant_is_answered_while_the_loop_that_started_the_sandbox_is_held(tmp_path: Path) -> None:
    keys = make_dev_keys(tmp_path)
    port = free_port()
    issuer = f"http://127.0.0.1:{port}/"
    config = SandboxConfig(client_id=DEV_CLIENT_ID, jwks_path=keys.jwks_path, issuer=issuer)
    grant = MaskinportenConfig(
        token_url=f"{issuer}token",
        audience=issuer,
        client_id=DEV_CLIENT_ID,
        key_id=keys.key_id,
        private_key_pem=SecretStr(keys.private_key_path.read_text()),
    )
    answers: list[tuple[int, float]] = []

    def ask_for_a_token() -> None:
        form = {"grant_type": GRANT_TYPE, "assertion": make_grant(grant, SCOPE, time.time())}
        response = httpx.post(grant.token_url, data=form, timeout=HELD_SECONDS * 4)
        answers.append((response.status_code, time.monotonic()))

    async with serve_sandbox_apart(config, "127.0.0.1", port):
        asker = threading.Thread(target=ask_for_a_token)
        asker.start()
        time.sleep(HELD_SECONDS)  # noqa: ASYNC251 - holds this loop, as the lookups' start-up work may
        released = time.monotonic()
        asker.join(HELD_SECONDS * 4)

    assert len(answers) == 1
    status, answered = answers[0]
    assert status == 200
    assert answered < released  # answered while the loop was held, not after
