"""Catalogue upload, versions, items and edits through the REST API, on the real database."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from adapter.store.cooperatives import create_cooperative
from adapter.store.db import transaction
from adapter.store.models import CatalogueItem, CatalogueUpload, CatalogueVersion, ItemBlob
from adapter.web import create_app
from config import Settings
from tests.support.servers import wait_until

FIXTURES = Path(__file__).resolve().parents[1] / "catalog_sync" / "fixtures"
RET16 = (FIXTURES / "items_ret16.csv").read_bytes()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def profile() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "profile.json").read_text())
    data.pop("slug", None)
    return data


@pytest.fixture
def keys(sessions: sessionmaker[Session]) -> dict[str, str]:
    out = {}
    with transaction(sessions) as session:
        for slug in ("test-coop", "other-coop"):
            _, key = create_cooperative(session, slug, slug.title())
            out[slug] = key.plain
    return out


@pytest.fixture
def ready(client: FlaskClient, keys: dict[str, str], profile: dict[str, Any]) -> dict[str, str]:
    response = client.put("/api/v1/cooperatives/test-coop/profile", json=profile, headers=bearer(keys["test-coop"]))
    assert response.status_code == 200, response.json
    return keys


def upload(client: FlaskClient, key: str, data: bytes, name: str = "catalogue.csv", slug: str = "test-coop") -> Any:
    return client.post(f"/api/v1/cooperatives/{slug}/catalogue", headers=bearer(key),
                       data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def wait_for_upload(client: FlaskClient, key: str, location: str, timeout: float = 60) -> dict[str, Any]:
    """Poll an upload job until a worker has finished it."""
    seen: list[dict[str, Any]] = []

    def finished() -> bool:
        response = client.get(location, headers=bearer(key))
        assert response.status_code == 200, response.json
        seen.append(response.json["upload"])
        return seen[-1]["status"] in ("done", "invalid", "failed")

    assert wait_until(finished, timeout=timeout), seen[-1:]
    return seen[-1]


def counts(sessions: sessionmaker[Session]) -> tuple[int, int, int]:
    with sessions() as session:
        return (session.scalar(select(func.count(CatalogueVersion.id))) or 0,
                session.scalar(select(func.count(CatalogueItem.id))) or 0,
                session.scalar(select(func.count(ItemBlob.hash))) or 0)


def test_profile_errors_are_422_listing_every_field(client: FlaskClient, keys: dict[str, str],
                                                     profile: dict[str, Any]) -> None:
    profile["gstin"] = "not-a-gstin"
    profile["consumer_care"]["email"] = "nope"
    response = client.put("/api/v1/cooperatives/test-coop/profile", json=profile, headers=bearer(keys["test-coop"]))
    assert response.status_code == 422
    fields = {d["field"] for d in response.json["error"]["details"]}
    assert {"gstin", "consumer_care.email"} <= fields


def test_profile_accepts_yaml(client: FlaskClient, keys: dict[str, str], profile: dict[str, Any]) -> None:
    import yaml

    response = client.put("/api/v1/cooperatives/test-coop/profile", data=yaml.safe_dump(profile),
                          content_type="application/yaml", headers=bearer(keys["test-coop"]))
    assert response.status_code == 200
    assert client.get("/api/v1/cooperatives/test-coop/profile",
                      headers=bearer(keys["test-coop"])).json["profile"]["gstin"] == profile["gstin"]


def test_upload_needs_a_profile_first(client: FlaskClient, keys: dict[str, str], sessions) -> None:
    response = upload(client, keys["test-coop"], RET16)
    assert response.status_code == 409
    assert "no profile yet" in response.json["error"]["message"]
    assert counts(sessions) == (0, 0, 0)


def test_valid_then_invalid_then_duplicate(client: FlaskClient, ready: dict[str, str], sessions) -> None:
    key = ready["test-coop"]
    first = upload(client, key, RET16)
    assert first.status_code == 201, first.json
    assert first.json["created"] is True
    assert first.json["version"]["number"] == 1
    item_count = first.json["version"]["item_count"]
    assert item_count == RET16.count(b"\n") - 1
    assert counts(sessions)[:2] == (1, item_count)

    # One bad price and one mrp below price: a 422 with both rows, and nothing imported.
    lines = RET16.decode().splitlines()
    header = lines[0].split(",")
    bad1 = lines[1].split(",")
    bad1[header.index("price")] = "12o0"
    bad2 = lines[2].split(",")
    bad2[header.index("mrp")] = "10"
    bad = "\n".join([lines[0], ",".join(bad1), ",".join(bad2), *lines[3:]]).encode()
    rejected = upload(client, key, bad)
    assert rejected.status_code == 422
    errors = rejected.json["error"]["report"]["errors"]
    assert {(e["row"], e["column"]) for e in errors} >= {(2, "price"), (3, "mrp")}
    assert any("must be a number like 450 or 450.50" in e["message"] for e in errors)
    assert counts(sessions)[:2] == (1, item_count)

    # The same items again (here as JSON-free CSV with a BOM and CRLF): no new version.
    same = upload(client, key, b"\xef\xbb\xbf" + RET16.replace(b"\n", b"\r\n"), name="again.csv")
    assert same.status_code == 200
    assert same.json["created"] is False
    assert same.json["version"]["number"] == 1
    assert counts(sessions)[0] == 1

    listed = client.get("/api/v1/cooperatives/test-coop/catalogue/versions", headers=bearer(key))
    assert [v["number"] for v in listed.json["versions"]] == [1]


def test_changed_upload_makes_version_two_sharing_unchanged_items(
    client: FlaskClient, ready: dict[str, str], sessions
) -> None:
    key = ready["test-coop"]
    assert upload(client, key, RET16).status_code == 201
    blobs_before = counts(sessions)[2]
    lines = RET16.decode().splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("stock")] = "99"
    changed = "\n".join([lines[0], ",".join(row), *lines[2:]]).encode()
    second = upload(client, key, changed)
    assert second.status_code == 201
    assert second.json["version"]["number"] == 2
    # Only the changed item needed a new blob.
    assert counts(sessions)[2] == blobs_before + 1
    item_id = row[header.index("id")]
    shown = client.get(f"/api/v1/cooperatives/test-coop/catalogue/items/{item_id}", headers=bearer(key))
    assert shown.json["stock"] == 99


def test_item_edit_and_its_validation(client: FlaskClient, ready: dict[str, str]) -> None:
    key = ready["test-coop"]
    assert upload(client, key, RET16).status_code == 201
    url = "/api/v1/cooperatives/test-coop/catalogue/items/T16-1"
    before = client.get(url, headers=bearer(key)).json
    edited = client.patch(url, json={"price": "1300", "stock": 7, "enabled": False}, headers=bearer(key))
    assert edited.status_code == 200, edited.json
    assert (edited.json["price"], edited.json["stock"], edited.json["enabled"]) == ("1300", 7, False)
    assert edited.json["hash"] != before["hash"]
    assert edited.json["data"]["price"] == "1300"

    for body, message in [
        ({"price": "abc"}, "price must be a number like 450 or 450.50"),
        ({"price": "2000"}, "mrp (1500) is lower than price (2000)"),
        ({"stock": -1}, "stock must be a whole number from 0 to 10,000,000"),
        ({"stock": 3_000_000_000}, "stock must be a whole number from 0 to 10,000,000"),
        ({"enabled": "yes"}, "enabled must be true or false"),
        ({"name": "x"}, "send one or more of: price, mrp, stock, enabled"),
    ]:
        response = client.patch(url, json=body, headers=bearer(key))
        assert response.status_code == 422, body
        assert message in response.json["error"]["message"]
    assert client.get(url, headers=bearer(key)).json["stock"] == 7
    assert client.patch("/api/v1/cooperatives/test-coop/catalogue/items/NOPE", json={"stock": 1},
                        headers=bearer(key)).status_code == 404


def test_tenants_cannot_touch_each_others_catalogue(client: FlaskClient, ready: dict[str, str]) -> None:
    assert upload(client, ready["test-coop"], RET16).status_code == 201
    other = bearer(ready["other-coop"])
    assert upload(client, ready["other-coop"], RET16).status_code == 404
    assert client.get("/api/v1/cooperatives/test-coop/catalogue/items", headers=other).status_code == 404
    assert client.patch("/api/v1/cooperatives/test-coop/catalogue/items/T16-1", json={"stock": 0},
                        headers=other).status_code == 404
    assert client.get("/api/v1/cooperatives/other-coop/catalogue/items", headers=other).json["items"] == []


@pytest.mark.parametrize(
    ("data", "name", "fragment"),
    [
        (b"\x00\x01\x02\x03binary\xff\xfe" * 10, "c.csv", ""),
        (b"", "c.csv", "empty"),
        (b"PK\x03\x04not really a zip", "c.xlsx", ""),
        (b"{\"items\": 5}", "c.json", ""),
        (b"id,name\n1,x\n", "c.exe", ""),
    ],
)
def test_hostile_files_get_422_never_5xx(client: FlaskClient, ready: dict[str, str], sessions, data: bytes,
                                         name: str, fragment: str) -> None:
    response = upload(client, ready["test-coop"], data, name=name)
    assert response.status_code == 422
    assert response.json["error"]["message"]
    assert fragment in response.json["error"]["message"].lower()
    assert counts(sessions) == (0, 0, 0)


def test_upload_larger_than_the_catalogue_limit_is_413(client: FlaskClient, ready: dict[str, str],
                                                       settings) -> None:
    # The limit is enforced from Content-Length, before any of the body is read.
    response = client.post("/api/v1/cooperatives/test-coop/catalogue", headers=bearer(ready["test-coop"]),
                           data=b"x" * 1024, content_type="multipart/form-data; boundary=xyz",
                           environ_overrides={"CONTENT_LENGTH": str(settings.catalogue_max_bytes + 512 * 1024)})
    assert response.status_code == 413
    assert response.json["error"]["code"] == "request_entity_too_large"


def test_a_catalogue_above_the_webhook_limit_is_read(client: FlaskClient, ready: dict[str, str], settings,
                                                     worker: Any) -> None:
    # Uploads may be as large as CATALOGUE_MAX_BYTES (10 MB), not only MAX_REQUEST_BYTES (2 MB, for webhooks).
    assert settings.max_request_bytes < 3 * 1024 * 1024 < settings.catalogue_max_bytes
    csv = RET16 + b"T16-BIG,Big,Home Decor,100,100,1,https://x.example/a.jpg,short," + b"y" * (3 * 1024 * 1024)
    # Encoded here as bytes: werkzeug's test client would spool a body this large to a file it never closes.
    body = (b"--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"catalogue.csv\"\r\n"
            b"Content-Type: text/csv\r\n\r\n" + csv + b"\r\n--xyz--\r\n")
    response = client.post("/api/v1/cooperatives/test-coop/catalogue", headers=bearer(ready["test-coop"]),
                           data=body, content_type="multipart/form-data; boundary=xyz")
    assert response.status_code == 202  # taken (not refused at the door), and imported by a worker
    job = wait_for_upload(client, ready["test-coop"], response.headers["Location"])
    assert job["status"] == "invalid"  # read and validated: that row has problems
    assert "near line 5" in job["error"]  # the file was read, up to the oversized row
    webhook = client.post("/ondc/search", data=b"x" * (settings.max_request_bytes + 10),
                          content_type="application/json")
    assert webhook.status_code == 413  # webhooks keep their own limit


def test_template_and_preview(client: FlaskClient, ready: dict[str, str]) -> None:
    key = ready["test-coop"]
    template = client.get("/api/v1/catalogue/template?category=Home Decor", headers=bearer(key))
    assert template.status_code == 200
    assert template.mimetype == "text/csv"
    assert template.get_data(as_text=True).splitlines()[0].startswith("id,")
    unknown = client.get("/api/v1/catalogue/template?category=Decor", headers=bearer(key))
    assert unknown.status_code == 422
    assert "Home Decor" in unknown.json["error"]["details"]["valid"]

    assert upload(client, key, RET16).status_code == 201
    preview = client.get("/api/v1/cooperatives/test-coop/catalogue/on_search?domain=ONDC:RET16", headers=bearer(key))
    assert preview.status_code == 200
    (page,) = preview.json["pages"]
    assert page["context"]["action"] == "on_search"
    items = page["message"]["catalog"]["bpp/providers"][0]["items"]
    assert {i["id"] for i in items} >= {"T16-1", "T16-2"}


@pytest.fixture
def queued_client(settings: Settings, sessions: sessionmaker[Session]) -> Iterator[FlaskClient]:
    """Every upload goes to a worker (UPLOAD_INLINE_MAX_BYTES=0), as a large file would."""
    app = create_app(dataclasses.replace(settings, upload_inline_max_bytes=0))
    yield app.test_client()
    app.extensions["odop"].dispose()


def test_a_large_upload_is_imported_by_a_worker_and_watched(
    queued_client: FlaskClient, ready: dict[str, str], sessions: sessionmaker[Session], worker: Any
) -> None:
    key = ready["test-coop"]
    response = upload(queued_client, key, RET16)
    assert response.status_code == 202, response.json
    location = response.headers["Location"]
    job = response.json["upload"]
    assert location.endswith(f"/api/v1/cooperatives/test-coop/catalogue/uploads/{job['id']}")
    assert (job["status"], job["filename"], job["size_bytes"], job["version"]) == (
        "queued", "catalogue.csv", len(RET16), None)
    done = wait_for_upload(queued_client, key, location)
    assert (done["status"], done["created"], done["version"], done["error"]) == ("done", True, 1, None)
    assert done["report"]["item_count"] == counts(sessions)[1] > 0
    with sessions() as session:
        assert session.get_one(CatalogueUpload, job["id"]).content == b""  # the file is not kept twice
    # The same file again: done, no new version.
    again = wait_for_upload(queued_client, key, upload(queued_client, key, RET16).headers["Location"])
    assert (again["status"], again["created"], again["version"]) == ("done", False, 1)
    # Another cooperative cannot see the job.
    assert queued_client.get(location, headers=bearer(ready["other-coop"])).status_code == 404
    assert queued_client.get(location.replace("test-coop", "other-coop"),
                             headers=bearer(ready["other-coop"])).status_code == 404


def test_a_large_invalid_upload_ends_with_the_report_and_imports_nothing(
    queued_client: FlaskClient, ready: dict[str, str], sessions: sessionmaker[Session], worker: Any
) -> None:
    bad = RET16.replace(b"Home Decor", b"Home Decr", 1)
    response = upload(queued_client, ready["test-coop"], bad)
    assert response.status_code == 202
    job = wait_for_upload(queued_client, ready["test-coop"], response.headers["Location"])
    assert job["status"] == "invalid"
    assert job["report"]["error_count"] >= 1
    assert {e["column"] for e in job["report"]["errors"]} >= {"category_id"}
    assert counts(sessions) == (0, 0, 0)


def test_large_uploads_are_checked_before_they_are_queued(
    queued_client: FlaskClient, keys: dict[str, str], ready: dict[str, str], sessions: sessionmaker[Session]
) -> None:
    # What can be told at once is told at once: the file type, an empty file, a missing profile.
    wrong = upload(queued_client, ready["test-coop"], b"id,name\n1,x\n", name="c.exe")
    assert wrong.status_code == 422
    assert "unknown file type" in wrong.json["error"]["message"]
    assert upload(queued_client, ready["test-coop"], b"   ", name="c.csv").status_code == 422
    no_profile = upload(queued_client, keys["other-coop"], RET16, slug="other-coop")
    assert no_profile.status_code == 409
    with sessions() as session:
        assert session.scalar(select(func.count(CatalogueUpload.id))) == 0


def test_the_sweeper_queues_lost_uploads_and_fails_ones_whose_worker_died(
    ready: dict[str, str], sessions: sessionmaker[Session], settings: Settings, worker: Any
) -> None:
    from adapter.store import uploads
    from adapter.store.models import Cooperative, utcnow
    from workers.app import make_celery
    from workers.task_names import SWEEP

    long_ago = utcnow() - dt.timedelta(seconds=settings.import_time_limit + 120)
    with transaction(sessions) as session:
        cooperative_id = session.scalars(select(Cooperative.id).where(Cooperative.slug == "test-coop")).one()
        lost = uploads.create(session, cooperative_id=cooperative_id, filename="lost.csv", content=RET16,
                              source="upload", now=long_ago).id  # its task never reached a worker
        dead = uploads.create(session, cooperative_id=cooperative_id, filename="dead.csv", content=RET16,
                              source="upload", now=long_ago)
        dead.status, dead.started_at = "running", long_ago  # its worker died mid-import
        dead_id = dead.id
    celery = make_celery(settings)
    celery.loader.import_default_modules()
    try:
        assert celery.tasks[SWEEP].apply().get()["uploads"] == 1
    finally:
        celery.engine.dispose()

    def status(upload_id: int) -> str:
        with sessions() as session:
            return session.get_one(CatalogueUpload, upload_id).status

    assert wait_until(lambda: status(lost) == "done", timeout=60)
    with sessions() as session:
        failed = session.get_one(CatalogueUpload, dead_id)
        assert failed.status == "failed"
        assert failed.error is not None
        assert "Upload the file again" in failed.error
        assert failed.content == b""


def test_two_imports_of_one_cooperative_at_once_both_get_a_version(
    ready: dict[str, str], sessions: sessionmaker[Session], settings: Settings
) -> None:
    import threading

    from adapter.store.models import Cooperative
    from catalog_sync.services import catalogue as catalogues

    files = [RET16, RET16.replace(b"Test Rumal Small", b"Test Rumal Petite", 1)]
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def run(data: bytes) -> None:
        try:
            with transaction(sessions) as session:
                cooperative = session.scalars(select(Cooperative).where(Cooperative.slug == "test-coop")).one()
                barrier.wait()
                result = catalogues.import_catalogue(
                    session, cooperative, data, "c.csv",
                    catalogues.Limits(settings.catalogue_max_bytes, settings.catalogue_max_rows), source="upload")
                outcomes.append(result.version.number if result.version else None)
        except Exception as error:  # noqa: BLE001 - the assertion below shows it
            outcomes.append(error)

    threads = [threading.Thread(target=run, args=(data,)) for data in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [1, 2]  # type: ignore[type-var]


def test_filenames_are_cleaned_and_huge_ids_are_404(
    client: FlaskClient, ready: dict[str, str], queued_client: FlaskClient, sessions: sessionmaker[Session],
    worker: Any
) -> None:
    key = ready["test-coop"]
    odd = "../../x\x00y\x1b" + "n" * 300 + ".csv"
    inline = upload(client, key, RET16, name=odd)
    assert inline.status_code == 201, inline.json
    assert inline.json["version"]["filename"] == "xy" + "n" * (254 - 2 - 3) + ".csv"
    queued = upload(queued_client, key, RET16, name="<b>a\x00.csv")
    assert queued.status_code == 202
    assert queued.json["upload"]["filename"] == "<b>a.csv"
    # Let the worker finish it before the tables are emptied under it.
    assert wait_for_upload(queued_client, key, queued.headers["Location"])["status"] == "done"
    huge = "/api/v1/cooperatives/test-coop/catalogue/uploads/9223372036854775808"
    assert client.get(huge, headers=bearer(key)).status_code == 404
    assert client.post("/api/v1/outbox/99999999999999999999/replay",
                       headers=bearer("test-admin-key-0123456789abcdef")).status_code == 404


def test_an_import_that_loses_the_database_is_run_again_then_stops(
    queued_client: FlaskClient, ready: dict[str, str], sessions: sessionmaker[Session], engine: Any, worker: Any
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL can raise a connection-class error from a trigger; SQLite cannot")
    from sqlalchemy import text

    # 57P01 (admin_shutdown) is what a restarting server sends: the driver raises OperationalError.
    with engine.begin() as conn:
        conn.execute(text("CREATE FUNCTION fault_versions() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION "
                          "'terminating connection due to administrator command' USING ERRCODE = '57P01'; END $$ "
                          "LANGUAGE plpgsql"))
        conn.execute(text("CREATE TRIGGER fault_versions BEFORE INSERT ON catalogue_versions FOR EACH ROW "
                          "EXECUTE FUNCTION fault_versions()"))
    try:
        response = upload(queued_client, ready["test-coop"], RET16)
        assert response.status_code == 202
        job = wait_for_upload(queued_client, ready["test-coop"], response.headers["Location"])
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TRIGGER fault_versions ON catalogue_versions"))
            conn.execute(text("DROP FUNCTION fault_versions()"))
    # Run again once (the outage may have ended), then stopped with a message: not failed at the first error,
    # not looping through the sweeper.
    assert job["status"] == "failed"
    assert "the database failed during the import (OperationalError)" in job["error"]
    assert counts(sessions) == (0, 0, 0)
