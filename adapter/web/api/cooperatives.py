"""/api/v1/cooperatives."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify
from flask.wrappers import Response
from marshmallow import Schema, fields, validate

from adapter.errors import InvalidRequestError
from adapter.orders.terms_io import TermsError, terms_from_json, terms_to_json
from adapter.store.cooperatives import create_cooperative, get_cooperative, list_cooperatives
from adapter.web.api.bodies import json_object, load_json
from adapter.web.api.contract import documented
from adapter.web.auth import current_principal, require_admin, visible_cooperative
from adapter.web.runtime import db, unit_of_work

bp = Blueprint("cooperatives", __name__, url_prefix="/api/v1/cooperatives")


class CooperativeOut(Schema):
    """A cooperative as the API shows it."""

    slug = fields.String(required=True, metadata={"example": "chamba-rumal"})
    name = fields.String(required=True, metadata={"example": "Chamba Rumal Cooperative"})
    active = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)


class CooperativeCreated(CooperativeOut):
    """A new cooperative with its API key (shown this once: store it)."""

    api_key = fields.String(required=True)


class CooperativeList(Schema):
    """The cooperatives the key can see."""

    cooperatives = fields.List(fields.Nested(CooperativeOut), required=True)


AMOUNT = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$", "example": "60"}


class Slab(Schema):
    """A weight-free price slab: orders up to ``up_to`` pay ``fee``."""

    up_to = fields.String(required=True, metadata=AMOUNT | {"example": "500"})
    fee = fields.String(required=True, metadata=AMOUNT)


class DeliveryTerms(Schema):
    """Delivery charges and transit times (amounts in rupees, as decimal strings; numbers are accepted too)."""

    flat_fee = fields.String(metadata=AMOUNT)
    slabs = fields.List(fields.Nested(Slab))
    free_above = fields.String(allow_none=True, metadata=AMOUNT | {"example": "1500"})
    packing_fee = fields.String(metadata=AMOUNT | {"example": "0"})
    transit_hyperlocal = fields.String(metadata={"description": "ISO 8601 duration", "example": "PT2H"})
    transit_intercity = fields.String(metadata={"description": "ISO 8601 duration", "example": "P3D"})
    category = fields.String(metadata={"example": "Standard Delivery"})


class CooperativeIn(Schema):
    """Fields to create a cooperative."""

    slug = fields.String(required=True, validate=validate.Length(min=1, max=64),
                         metadata={"example": "kinnauri-shawl"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"example": "Kinnaur Shawl Weavers"})


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    app.register_blueprint(bp)


@documented("List cooperatives", responses={200: CooperativeList})
@bp.get("")
def list_all() -> Response:
    """Admins see all cooperatives; a cooperative sees only itself."""
    principal = current_principal()
    rows = [c for c in list_cooperatives(db()) if principal.can_see(c.id)]
    return jsonify({"cooperatives": CooperativeOut(many=True).dump(rows)})


@documented("Create a cooperative", auth="admin", body=CooperativeIn, errors=(409,),
            responses={201: CooperativeCreated})
@bp.post("")
def create() -> tuple[Response, int]:
    """Create a cooperative (admin only). The API key is in this answer and never again."""
    require_admin()
    data = load_json(CooperativeIn())
    with unit_of_work() as session:
        cooperative, key = create_cooperative(session, data["slug"], data["name"])
    body = CooperativeOut().dump(cooperative) | {"api_key": key.plain}
    return jsonify(body), 201


@documented("One cooperative", responses={200: CooperativeOut})
@bp.get("/<slug>")
def show(slug: str) -> Response:
    """One cooperative."""
    current_principal()
    cooperative = visible_cooperative(get_cooperative(db(), slug))
    return jsonify(CooperativeOut().dump(cooperative))


@documented("Delivery charges", responses={200: DeliveryTerms})
@bp.get("/<slug>/delivery")
def get_delivery(slug: str) -> Response:
    """The cooperative's delivery charges and transit times (defaults when never set)."""
    current_principal()
    cooperative = visible_cooperative(get_cooperative(db(), slug))
    return jsonify(terms_to_json(terms_from_json(cooperative.delivery)))


@documented("Set delivery charges", body=DeliveryTerms, responses={200: DeliveryTerms})
@bp.put("/<slug>/delivery")
def put_delivery(slug: str) -> Response:
    """Set delivery charges: flat_fee, slabs [{up_to, fee}], free_above, packing_fee, transit times, category."""
    current_principal()
    payload = json_object()
    try:
        terms = terms_from_json(payload)
    except TermsError as error:
        raise InvalidRequestError(str(error)) from error
    with unit_of_work():
        current_principal()
        cooperative = visible_cooperative(get_cooperative(db(), slug))
        cooperative.delivery = terms_to_json(terms)
    return jsonify(terms_to_json(terms))
