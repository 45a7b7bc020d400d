"""Record keys by person: the ident, or its HMAC-SHA256 where a secret is configured.

Keyed by person, one person's records stay in one partition and in order; with a secret, the
key says nothing about who the person is.
"""

import hashlib
import hmac


def person_key(ident: str, secret: bytes | None) -> bytes:
    if secret is not None:
        return hmac.new(secret, ident.encode(), hashlib.sha256).hexdigest().encode()
    return ident.encode()
