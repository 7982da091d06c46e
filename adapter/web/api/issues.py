"""Buyers' complaints (ONDC IGM): list, detail, resolve (the buyer app hears at once) and close."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request
from marshmallow import Schema, fields, validate

from adapter.errors import InvalidRequestError, NotFoundError
from adapter.orders import after_sale
from adapter.orders.policy import order_policy
from adapter.store.models import Issue, utcnow
from adapter.web.api.bodies import Page, load_json, load_query
from adapter.web.api.contract import documented, timestamp
from adapter.web.auth import current_principal, listed_cooperative_id
from adapter.web.runtime import db, runtime, unit_of_work
from workers.dispatch import AfterCommit, after_commit

bp = Blueprint("issues", __name__, url_prefix="/api/v1/issues")
STATUSES = ("OPEN", "PROCESSING", "RESOLVED", "CLOSED")


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    app.register_blueprint(bp)


class ResolveBody(Schema):
    """POST /<id>/resolve: what the seller did about the complaint."""

    action = fields.String(required=True, validate=validate.Length(min=1, max=32))
    short_desc = fields.String(required=True, validate=validate.Length(min=1, max=200))
    long_desc = fields.String(load_default=None, validate=validate.Length(max=2000))
    refund_amount = fields.Decimal(load_default=None, as_string=True, allow_nan=False)


class IssueOut(Schema):
    """A buyer's complaint (ONDC IGM) and where it stands."""

    id = fields.Integer(required=True)
    issue_id = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    category = fields.String(allow_none=True, metadata={"example": "ITEM"})
    description = fields.String(allow_none=True)
    bap_id = fields.String(required=True)
    transaction_id = fields.String(allow_none=True)
    order_pk = fields.Integer(allow_none=True)
    cooperative_id = fields.Integer(allow_none=True)
    resolution = fields.Dict(allow_none=True)
    created_at = timestamp(required=True)
    updated_at = timestamp(required=True)


class IssueDetail(IssueOut):
    """An issue with the full IGM document as it stands."""

    domain = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    issue = fields.Dict(allow_none=True)


class IssueList(Schema):
    """Issues, newest first."""

    issues = fields.List(fields.Nested(IssueOut), required=True)


class IssueQuery(Page):
    """Filters and paging."""

    status = fields.String(metadata={"enum": list(STATUSES)})
    cooperative = fields.String(metadata={"description": "one cooperative's slug (a cooperative's key: only its own)"})


def _summary(issue: Issue) -> dict[str, Any]:
    return {"id": issue.id, "issue_id": issue.issue_id, "status": issue.status, "category": issue.category,
            "description": issue.description, "bap_id": issue.bap_id, "transaction_id": issue.transaction_id,
            "order_pk": issue.order_pk, "cooperative_id": issue.cooperative_id, "resolution": issue.resolution,
            "created_at": issue.created_at.isoformat(), "updated_at": issue.updated_at.isoformat()}


def _visible(issue_pk: int) -> Issue:
    issue = db().get(Issue, issue_pk)
    principal = current_principal()
    if issue is None or not principal.can_see(issue.cooperative_id):
        raise NotFoundError(f"no issue {issue_pk}")
    return issue


@documented("List issues", query=IssueQuery, responses={200: IssueList})
@bp.get("")
def list_issues() -> Response:
    """Issues, newest first (?status=&cooperative=SLUG for operators&limit=&offset=)."""
    cooperative_id = listed_cooperative_id(request.args.get("cooperative"))
    status = request.args.get("status")
    if status is not None and status.upper() not in STATUSES:
        raise InvalidRequestError(f"status must be one of {', '.join(STATUSES)}")
    page = load_query(Page())
    rows = after_sale.list_issues(db(), cooperative_id=cooperative_id, status=status, limit=page["limit"],
                                  offset=page["offset"])
    return jsonify({"issues": [_summary(i) for i in rows]})


@documented("One issue", responses={200: IssueDetail})
@bp.get("/<int:issue_pk>")
def show(issue_pk: int) -> Response:
    """One issue with the full IGM document as it stands."""
    issue = _visible(issue_pk)
    return jsonify(_summary(issue) | {"domain": issue.domain, "city": issue.city, "issue": issue.issue})


@documented("Resolve an issue", body=ResolveBody, errors=(409,), responses={200: IssueOut})
@bp.post("/<int:issue_pk>/resolve")
def resolve(issue_pk: int) -> Response:
    """Resolve with {action, short_desc, long_desc?, refund_amount?}; an unsolicited on_issue goes out."""
    current_principal()  # authenticate before reading the body
    body = load_json(ResolveBody())
    rt = runtime()
    with unit_of_work() as session:
        issue = _visible(issue_pk)
        result = after_sale.resolve_issue(session, issue, resolution=body, now=utcnow(),
                                          actor=current_principal().cooperative_slug or "operator",
                                          policy=order_policy(rt.settings))
        after = AfterCommit.of(result)
        summary = _summary(issue)
    after_commit(rt.celery, rt.sessions, rt.settings.sync_debounce_seconds, after)
    return jsonify(summary)


@documented("Close an issue", errors=(409,), responses={200: IssueOut})
@bp.post("/<int:issue_pk>/close")
def close(issue_pk: int) -> Response:
    """Close a resolved issue on our side (nothing is sent: only the complainant closes on the network)."""
    with unit_of_work() as session:
        issue = _visible(issue_pk)
        after_sale.close_issue(session, issue, actor=current_principal().cooperative_slug or "operator",
                               now=utcnow())
        summary = _summary(issue)
    return jsonify(summary)
