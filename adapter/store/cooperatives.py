"""Repository for cooperatives and their API keys."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapter.errors import ConflictError, InvalidRequestError, NotFoundError
from adapter.security import NewKey, generate_key, key_prefix, matches
from adapter.store.models import ApiKey, Cooperative, utcnow

SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")


def check_slug(slug: str) -> str:
    """Return the slug, or raise InvalidRequestError explaining the allowed form."""
    if not SLUG.fullmatch(slug):
        raise InvalidRequestError(
            f"slug {slug!r} is not valid: use 1-64 lowercase letters, digits and '-', "
            "starting and ending with a letter or digit",
            details={"field": "slug"},
        )
    return slug


def create_cooperative(session: Session, slug: str, name: str) -> tuple[Cooperative, NewKey]:
    """Create a cooperative with its first API key; the plain key is returned once."""
    check_slug(slug)
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidRequestError("name must be 1-200 characters", details={"field": "name"})
    if session.scalar(select(Cooperative.id).where(Cooperative.slug == slug)) is not None:
        raise ConflictError(f"a cooperative with slug {slug!r} already exists")
    cooperative = Cooperative(slug=slug, name=name)
    session.add(cooperative)
    session.flush()
    return cooperative, issue_api_key(session, cooperative)


def issue_api_key(session: Session, cooperative: Cooperative, label: str = "default") -> NewKey:
    """Add a new key for a cooperative; older keys stay valid until revoked."""
    key = generate_key()
    session.add(ApiKey(cooperative_id=cooperative.id, prefix=key.prefix, key_hash=key.key_hash, label=label))
    session.flush()
    return key


def list_cooperatives(session: Session) -> list[Cooperative]:
    """All cooperatives, by slug."""
    return list(session.scalars(select(Cooperative).order_by(Cooperative.slug)))


def get_cooperative(session: Session, slug: str) -> Cooperative:
    """The cooperative with this slug, or NotFoundError."""
    cooperative = session.scalar(select(Cooperative).where(Cooperative.slug == slug))
    if cooperative is None:
        raise NotFoundError(f"no cooperative {slug!r}")
    return cooperative


def cooperative_for_key(session: Session, plain: str) -> Cooperative | None:
    """The active cooperative a presented key belongs to, or None (unknown, revoked or malformed)."""
    prefix = key_prefix(plain)
    if prefix is None:
        return None
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix, ApiKey.revoked_at.is_(None)))
    if key is None or not matches(plain, key.key_hash) or not key.cooperative.active:
        return None
    key.last_used_at = utcnow()
    return key.cooperative


def served_scope(session: Session) -> tuple[frozenset[str], frozenset[str] | None]:
    """Domains and cities our active cooperatives sell in; cities is None when one of them ships pan-India."""
    domains: set[str] = set()
    cities: set[str] = set()
    pan_india = False
    for profile in session.scalars(
        select(Cooperative.profile).where(Cooperative.active.is_(True), Cooperative.profile.is_not(None))
    ):
        if not profile:
            continue
        domains.update(profile.get("domains", ()))
        # Only a radius (hyperlocal) seller is tied to its own cities; pincode lists can't be mapped to
        # STD codes without a pincode table, so they are matched at select time instead.
        if (profile.get("serviceability") or {}).get("kind", "pan_india") != "radius":
            pan_india = True
        cities.update(loc["city_code"] for loc in profile.get("locations", ()) if loc.get("city_code"))
    return frozenset(domains), None if pan_india else frozenset(cities)
