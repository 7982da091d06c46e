"""API keys: generation, hashing and constant-time checks. Plain keys are shown once and never stored."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

KEY_PATTERN = re.compile(r"odop_([0-9a-f]{12})_([A-Za-z0-9_\-]{20,})")


@dataclass(frozen=True)
class NewKey:
    """A freshly generated key: the plain text (show once), its lookup prefix and its hash."""

    plain: str
    prefix: str
    key_hash: str

    def __repr__(self) -> str:
        return f"NewKey(prefix={self.prefix!r})"


def hash_key(plain: str) -> str:
    """SHA-256 hex of a key. Keys carry 256 random bits, so a fast hash is safe here."""
    return hashlib.sha256(plain.encode()).hexdigest()


def generate_key() -> NewKey:
    """A new cooperative API key: ``odop_<prefix>_<secret>``."""
    prefix = secrets.token_hex(6)
    plain = f"odop_{prefix}_{secrets.token_urlsafe(32)}"
    return NewKey(plain=plain, prefix=prefix, key_hash=hash_key(plain))


def generate_admin_key() -> str:
    """A new admin key for ADMIN_API_KEY."""
    return "odop_admin_" + secrets.token_urlsafe(32)


def key_prefix(plain: str) -> str | None:
    """The lookup prefix of a well-formed cooperative key, or None."""
    match = KEY_PATTERN.fullmatch(plain)
    return match.group(1) if match else None


def matches(plain: str, key_hash: str) -> bool:
    """Constant-time check of a presented key against a stored hash."""
    return hmac.compare_digest(hash_key(plain), key_hash)


def same_secret(presented: str, expected: str) -> bool:
    """Constant-time equality of two secrets."""
    return hmac.compare_digest(presented.encode(), expected.encode())


def may_see(*, is_admin: bool, own_cooperative_id: int | None, owner_id: int | None) -> bool:
    """The one tenant rule: the operator sees every cooperative's data; a cooperative sees only its own.

    ``owner_id`` is the cooperative a row belongs to (None: no cooperative's, which only the operator sees).
    The API's keys and the console's sign-ins both ask this function.
    """
    return is_admin or (own_cooperative_id is not None and owner_id == own_cooperative_id)
