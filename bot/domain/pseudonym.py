"""Stand-ins for identifiers that must not be stored in clear."""

from __future__ import annotations

import hashlib
import hmac


def conversation_ref(key: str, conversation_id: str) -> str:
    """Return a keyed hash of a conversation id: stable, but not reversible without the key."""
    digest = hmac.new(key.encode("utf-8"), conversation_id.encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()
