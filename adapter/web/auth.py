"""Operator and cooperative authentication: ``Authorization: Bearer KEY``."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, request

from adapter.errors import AuthenticationError, NotFoundError, PermissionDeniedError, TooManyRequestsError
from adapter.security import may_see, same_secret
from adapter.store.cooperatives import cooperative_for_key, get_cooperative
from adapter.store.models import Cooperative
from adapter.web.runtime import db, runtime


@dataclass(frozen=True)
class Principal:
    """Who is calling: the admin (operator) or one cooperative."""

    is_admin: bool
    cooperative_id: int | None = None
    cooperative_slug: str | None = None

    def can_see(self, owner_id: int | None) -> bool:
        """Whether this key may see what belongs to cooperative ``owner_id`` (``adapter.security.may_see``)."""
        return may_see(is_admin=self.is_admin, own_cooperative_id=self.cooperative_id, owner_id=owner_id)


def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("send your API key as 'Authorization: Bearer KEY'")
    return token.strip()


def current_principal() -> Principal:
    """Authenticate the request (once) and return who is calling, or raise 401."""
    if "principal" in g:
        principal: Principal = g.principal
        return principal
    throttle, address = runtime().throttle, request.remote_addr or "unknown"
    if (wait := throttle.retry_after(address)) is not None:
        raise TooManyRequestsError(f"too many wrong keys from this address; try again in {wait} s", retry_after=wait)
    token = _bearer()
    admin_key = runtime().settings.admin_api_key
    if admin_key and same_secret(token, admin_key):
        principal = Principal(is_admin=True)
    else:
        session = db()
        cooperative = cooperative_for_key(session, token)
        if cooperative is None:
            throttle.failed(address)
            raise AuthenticationError("API key not recognised")
        session.commit()  # records last_used_at
        principal = Principal(is_admin=False, cooperative_id=cooperative.id, cooperative_slug=cooperative.slug)
    g.principal = principal
    return principal


def require_admin() -> Principal:
    """The caller must hold the admin key."""
    principal = current_principal()
    if not principal.is_admin:
        raise PermissionDeniedError("this needs the operator (admin) key")
    return principal


def visible_cooperative(cooperative: Cooperative) -> Cooperative:
    """Return the cooperative if the caller may see it; other tenants' cooperatives look absent (404)."""
    if not current_principal().can_see(cooperative.id):
        raise NotFoundError(f"no cooperative {cooperative.slug!r}")
    return cooperative


def listed_cooperative_id(slug: str | None) -> int | None:
    """Whose rows a list shows, from its ``?cooperative=SLUG`` filter: the operator chooses any cooperative (None:
    all of them); a cooperative always gets its own, and naming another is a 404, as if it did not exist."""
    principal = current_principal()
    if not slug:
        return principal.cooperative_id
    return visible_cooperative(get_cooperative(db(), slug)).id
