"""Registry onboarding: the site-verification page and the /on_subscribe challenge."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify

from adapter.errors import InvalidRequestError, NotFoundError
from adapter.protocol.keys import REGISTRY_ENCRYPTION_PUBLIC_KEYS, KeyFormatError, SigningKey
from adapter.protocol.signing import (
    ChallengeDecryptionError,
    decrypt_challenge,
    sign_site_verification,
    site_verification_html,
)
from adapter.web.api.bodies import json_object
from adapter.web.runtime import runtime


def init_app(app: Flask) -> None:
    """Register the page at the root and /on_subscribe under the ONDC base path."""
    base: str = app.extensions["odop"].settings.ondc_base_path
    bp = Blueprint("onboarding", __name__)
    bp.add_url_rule("/ondc-site-verification.html", "site_verification", site_verification, methods=["GET"])
    bp.add_url_rule(f"{base}/on_subscribe", "on_subscribe", on_subscribe, methods=["POST"])
    app.register_blueprint(bp)


def _request_id() -> str | None:
    settings = runtime().settings
    if settings.ondc_request_id:
        return settings.ondc_request_id
    path = settings.data_dir / "ondc-request-id"
    return path.read_text().strip() if path.exists() else None


def site_verification() -> Response:
    """The page the registry reads to check we own the subscriber id: the signed request_id."""
    settings = runtime().settings
    request_id = _request_id()
    if not request_id or not settings.signing_private_key:
        raise NotFoundError("site verification is not set up: run `odop-adapter registry subscribe` "
                            "(or set ONDC_REQUEST_ID and ONDC_SIGNING_PRIVATE_KEY)")
    signed = sign_site_verification(request_id, SigningKey.from_base64(settings.signing_private_key))
    return Response(site_verification_html(signed), mimetype="text/html")


def on_subscribe() -> Response:
    """Answer the registry's challenge with its decrypted plain text."""
    settings = runtime().settings
    payload = json_object()
    challenge = payload.get("challenge")
    if not isinstance(challenge, str) or not challenge:
        raise InvalidRequestError("challenge must be a non-empty string", details={"field": "challenge"})
    if not settings.encryption_private_key:
        raise NotFoundError("ONDC_ENCRYPTION_PRIVATE_KEY is not set, so no challenge can be answered")
    try:
        answer = decrypt_challenge(challenge, settings.encryption_private_key,
                                   REGISTRY_ENCRYPTION_PUBLIC_KEYS[settings.registry_env])
    except (ChallengeDecryptionError, KeyFormatError) as error:
        raise InvalidRequestError(f"the challenge could not be decrypted: {error}") from error
    return jsonify({"answer": answer})
