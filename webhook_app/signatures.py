"""Webhook authenticity: GitHub's HMAC signature and GitLab's shared token, compared in constant time."""
from __future__ import annotations

import hashlib
import hmac


def github_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def github_signature_valid(secret: str | None, body: bytes, header: str | None) -> bool:
    if not secret or not header:
        return False
    return hmac.compare_digest(github_signature(secret, body), header.strip())


def gitlab_token_valid(secret: str | None, header: str | None) -> bool:
    if not secret or header is None:
        return False
    return hmac.compare_digest(secret.encode(), header.encode())
