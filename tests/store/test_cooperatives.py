import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapter.errors import ConflictError, InvalidRequestError
from adapter.store.cooperatives import cooperative_for_key, create_cooperative, issue_api_key
from adapter.store.db import transaction
from adapter.store.models import ApiKey, utcnow


def test_create_stores_only_a_hash_of_the_key(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        cooperative, key = create_cooperative(session, "chamba-rumal", "Chamba Rumal Cooperative")
    with sessions() as session:
        stored = session.scalars(select(ApiKey)).one()
        assert stored.cooperative_id == cooperative.id
        assert key.plain not in (stored.key_hash, stored.prefix)
        assert stored.prefix in key.plain
        found = cooperative_for_key(session, key.plain)
        assert found is not None
        assert found.slug == "chamba-rumal"


def test_unknown_malformed_and_revoked_keys_are_refused(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        cooperative, key = create_cooperative(session, "kangra-tea", "Kangra Tea")
        second = issue_api_key(session, cooperative, label="backup")
    with sessions() as session:
        assert cooperative_for_key(session, "not-a-key") is None
        wrong_secret = key.plain[:-4] + ("AAAA" if not key.plain.endswith("AAAA") else "BBBB")
        assert cooperative_for_key(session, wrong_secret) is None
        assert cooperative_for_key(session, second.plain) is not None
    with transaction(sessions) as session:
        row = session.scalars(select(ApiKey).where(ApiKey.prefix == key.prefix)).one()
        row.revoked_at = utcnow()
    with sessions() as session:
        assert cooperative_for_key(session, key.plain) is None
        assert cooperative_for_key(session, second.plain) is not None


def test_duplicate_slug_is_a_conflict_and_changes_nothing(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        create_cooperative(session, "kinnaur-shawls", "Kinnaur Shawls")
    with pytest.raises(ConflictError), transaction(sessions) as session:
        create_cooperative(session, "kinnaur-shawls", "Another")
    with sessions() as session:
        assert len(session.scalars(select(ApiKey)).all()) == 1


@pytest.mark.parametrize("slug", ["", "Chamba", "chamba_rumal", "-chamba", "chamba-", "a" * 65, "चंबा"])
def test_bad_slugs_are_rejected(sessions: sessionmaker[Session], slug: str) -> None:
    with pytest.raises(InvalidRequestError, match="lowercase letters"), transaction(sessions) as session:
        create_cooperative(session, slug, "Name")


def test_served_scope_reads_domains_and_hyperlocal_cities(sessions: sessionmaker[Session]) -> None:
    from adapter.store.cooperatives import served_scope

    base = {"domains": ["ONDC:RET16"], "locations": [{"city_code": "std:01899"}]}
    with transaction(sessions) as session:
        local, _ = create_cooperative(session, "local-coop", "Local")
        local.profile = base | {"serviceability": {"kind": "radius", "radius_km": "10"}}
    with sessions() as session:
        assert served_scope(session) == (frozenset({"ONDC:RET16"}), frozenset({"std:01899"}))
    with transaction(sessions) as session:
        national, _ = create_cooperative(session, "national-coop", "National")
        national.profile = {"domains": ["ONDC:RET10"], "locations": [], "serviceability": {"kind": "pan_india"}}
    with sessions() as session:
        assert served_scope(session) == (frozenset({"ONDC:RET16", "ONDC:RET10"}), None)
