"""Webhook authenticity: GitHub's HMAC signature and GitLab's shared token, compared in constant time."""
from __future__ import annotations

import hmac

from incident_desk.signing import sha256_signature


def github_signature_valid(secret: str | None, body: bytes, header: str | None) -> bool:
    """Whether `header` is the X-Hub-Signature-256 of `body` under `secret`."""
    if not secret or not header:
        return False
    return hmac.compare_digest(sha256_signature(secret, body), header.strip())


def gitlab_token_valid(secret: str | None, header: str | None) -> bool:
    """Whether `header` is the shared X-Gitlab-Token."""
    if not secret or header is None:
        return False
    return hmac.compare_digest(secret.encode(), header.encode())
