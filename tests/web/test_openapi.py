"""The operator API's published contract: complete, valid OpenAPI 3, and served."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from sqlalchemy.orm import Session, sessionmaker

from adapter.web.api.contract import operations, undocumented
from tests.support.sellers import make_seller


def test_every_api_route_declares_its_contract(app: Flask) -> None:
    assert operations(app), "no API routes found"
    assert undocumented(app) == []


def test_the_served_document_is_valid_openapi_3_and_lists_every_route(app: Flask, client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    spec = response.get_json()
    validate(spec)
    assert spec["openapi"].startswith("3.")
    documented = {(path, method) for path, methods in spec["paths"].items() for method in methods}
    assert len(documented) == len(operations(app))
    assert ("/api/v1/cooperatives/{slug}/profile", "put") in documented
    schemes = spec["components"]["securitySchemes"]
    assert {schemes["adminKey"]["scheme"], schemes["cooperativeKey"]["scheme"]} == {"bearer"}


def test_every_operation_documents_its_error_bodies(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            responses = operation["responses"]
            assert ("401" in responses) == bool(operation["security"]), (method, path)
            for status, answer in responses.items():
                if status.startswith(("4", "5")):
                    schema = answer["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)
            if "{" in path:
                assert "404" in responses, (method, path)
            if "requestBody" in operation:
                assert "422" in responses, (method, path)


def test_admin_only_operations_say_so(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    outbox = spec["paths"]["/api/v1/outbox"]["get"]
    assert outbox["security"] == [{"adminKey": []}]
    assert "403" in outbox["responses"]
    orders = spec["paths"]["/api/v1/orders"]["get"]
    assert {"cooperativeKey": []} in orders["security"]


def test_the_profile_schema_comes_from_the_schema_the_view_loads_with(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    body = spec["paths"]["/api/v1/cooperatives/{slug}/profile"]["put"]["requestBody"]["content"]
    assert set(body) == {"application/json", "application/yaml"}
    profile = spec["components"]["schemas"]["Profile"]
    assert {"slug", "gstin", "opening", "settlement", "locations"} <= set(profile["properties"])
    assert "gstin" in profile["required"]
    opening = spec["components"]["schemas"]["Opening"]["properties"]
    assert opening["days"]["items"]["maximum"] == 7
    assert opening["take_orders"]["enum"] == ["always", "when_open"]


def test_the_docs_page_is_readable_without_scripts(client: FlaskClient) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<script" not in page
    assert "/api/v1/cooperatives/{slug}/catalogue" in page
    assert "Upload a catalogue" in page
    assert "openapi.json" in page


def test_a_method_the_contract_does_not_list_is_405_with_allow(client: FlaskClient,
                                                                admin_headers: dict[str, str]) -> None:
    response = client.delete("/api/v1/cooperatives", headers=admin_headers)
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_the_documented_profile_example_is_taken_as_it_is(client: FlaskClient, admin_headers: dict[str, str],
                                                          sessions: sessionmaker[Session]) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    example = spec["paths"]["/api/v1/cooperatives/{slug}/profile"]["put"]["requestBody"]["content"][
        "application/json"]["example"]
    make_seller(sessions, example["slug"])
    response = client.put(f"/api/v1/cooperatives/{example['slug']}/profile", json=example, headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["profile"] == example


def test_every_order_action_the_seller_can_take_is_documented(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/orders/{order_pk}/actions/{action}"]["post"]
    (action,) = [p for p in operation["parameters"] if p["name"] == "action"]
    assert {"accept", "assign_agent", "pick_up", "out_for_delivery", "initiate_rto", "rto_delivered",
            "liquidate"} <= set(action["schema"]["enum"])
