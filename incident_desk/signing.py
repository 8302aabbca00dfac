"""The HMAC-SHA256 body signature: GitHub's X-Hub-Signature-256, and ours on status-page webhooks."""
from __future__ import annotations

import hashlib
import hmac


def sha256_signature(secret: str, body: bytes) -> str:
    """`sha256=` and the hex HMAC-SHA256 of `body` under `secret`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
