"""ONDC request signing and verification (Beckn `Authorization` header), plus registry onboarding helpers.

Everything here is pure: time (`created`, `expires`, `now`) is passed in, keys are passed in.
See docs/signing.md and PROTOCOL.md §9.

Errors::

    Exception
     ├── SignatureError                 any failure to authenticate a request (NACK 401, ONDC 30016)
     │    ├── SignatureHeaderError      header missing, malformed, or not ed25519 / not the ONDC headers list
     │    ├── SignatureExpiredError     `expires` is in the past (beyond the clock skew)
     │    ├── SignatureNotYetValidError `created` is in the future (beyond the clock skew)
     │    └── SignatureMismatchError    the signature does not verify over the raw body
     └── ValueError
          └── ChallengeDecryptionError  the /on_subscribe challenge could not be decrypted
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import html
import re
from dataclasses import dataclass

import nacl.exceptions
import nacl.signing
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from adapter.protocol.keys import EncryptionKey, SigningKey, decode_signing_public_key

__all__ = [
    "ALGORITHM",
    "SIGNED_HEADERS",
    "AuthHeader",
    "ChallengeDecryptionError",
    "KeyId",
    "SignatureError",
    "SignatureExpiredError",
    "SignatureHeaderError",
    "SignatureMismatchError",
    "SignatureNotYetValidError",
    "body_digest",
    "decrypt_challenge",
    "parse_auth_header",
    "parse_key_id",
    "sign_request",
    "sign_site_verification",
    "signing_string",
    "site_verification_html",
    "verify_request",
]

ALGORITHM = "ed25519"
SIGNED_HEADERS = ("(created)", "(expires)", "digest")
_SIGNATURE_LEN = 64


class SignatureError(Exception):
    """A request's signature could not be accepted; `reason` is safe to show the sender."""

    # adapter.protocol may not import adapter.errors (import-linter layers), so the web layer maps these
    # attributes onto a ProtocolError NACK.
    status = 401
    ondc_code = "30016"  # ONDC error codes: SNP "Invalid Signature" (the gateway's own code is 10001)

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SignatureHeaderError(SignatureError):
    """The auth header is missing, malformed, or does not describe an ONDC ed25519 signature."""


class SignatureExpiredError(SignatureError):
    """The signature's `expires` is in the past."""


class SignatureNotYetValidError(SignatureError):
    """The signature's `created` is in the future."""


class SignatureMismatchError(SignatureError):
    """The signature does not match the body and the sender's public key."""


class ChallengeDecryptionError(ValueError):
    """The registry's /on_subscribe challenge could not be decrypted with the given keys."""


@dataclass(frozen=True)
class KeyId:
    """The parts of a Beckn `keyId`: `{subscriber_id}|{unique_key_id}|{algorithm}`."""

    subscriber_id: str
    unique_key_id: str
    algorithm: str


@dataclass(frozen=True)
class AuthHeader:
    """A parsed `Authorization` / `X-Gateway-Authorization` header value."""

    key_id: KeyId
    algorithm: str
    created: int
    expires: int
    headers: tuple[str, ...]
    signature: str

    @property
    def subscriber_id(self) -> str:
        """The signer's subscriber_id (from keyId)."""
        return self.key_id.subscriber_id

    @property
    def unique_key_id(self) -> str:
        """The signer's registry ukId (from keyId)."""
        return self.key_id.unique_key_id


def body_digest(body: bytes) -> str:
    """Base64 BLAKE2b-512 digest of the exact body bytes."""
    # hashlib's C BLAKE2b: the same bytes as libsodium's (tests/protocol/test_signing.py), without PyNaCl's
    # Python wrapper and its argument checks, which cost more than hashing a search.
    return base64.b64encode(hashlib.blake2b(body, digest_size=64).digest()).decode("ascii")


def signing_string(*, created: int, expires: int, digest: str) -> str:
    """The three-line string that is signed (space after every colon, as ONDC's reference code does)."""
    return f"(created): {created}\n(expires): {expires}\ndigest: BLAKE-512={digest}"


def _check_key_id_part(value: str, name: str) -> None:
    if not value or "|" in value or '"' in value or value != value.strip():
        raise ValueError(f"{name} must be non-empty, without '|', '\"' or surrounding spaces")


def sign_request(
    body: bytes, *, subscriber_id: str, unique_key_id: str, key: SigningKey, created: int, expires: int
) -> str:
    """Return the `Authorization` header value signing ``body`` (the exact bytes that go on the wire)."""
    _check_key_id_part(subscriber_id, "subscriber_id")
    _check_key_id_part(unique_key_id, "unique_key_id")
    if expires <= created:
        raise ValueError("expires must be after created")
    text = signing_string(created=created, expires=expires, digest=body_digest(body))
    signature = base64.b64encode(key.sign(text.encode("utf-8"))).decode("ascii")
    return (
        f'Signature keyId="{subscriber_id}|{unique_key_id}|{ALGORITHM}",algorithm="{ALGORITHM}",'
        f'created="{created}",expires="{expires}",headers="{" ".join(SIGNED_HEADERS)}",'
        f'signature="{signature}"'
    )


def parse_key_id(value: str) -> KeyId:
    """Split a keyId `subscriber_id|unique_key_id|algorithm`."""
    parts = [part.strip() for part in value.split("|")]
    if len(parts) != 3 or not all(parts):
        raise SignatureHeaderError("keyId must be 'subscriber_id|unique_key_id|algorithm'")
    return KeyId(subscriber_id=parts[0], unique_key_id=parts[1], algorithm=parts[2].lower())


# One `name=value` parameter: quoted or bare value, optional spaces around `=`, then `,` or the end.
_PARAM = re.compile(r'\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"([^"]*)"|([^\s",]+))\s*(?:,|$)')
_HEADER_TOKEN = re.compile(r"\([a-z0-9-]+\)|[a-z0-9-]+")
_SCHEME = re.compile(r"signature\s+(?![\s=])", re.IGNORECASE)
_REQUIRED = ("keyid", "algorithm", "created", "expires", "headers", "signature")


def _params(text: str) -> dict[str, str]:
    params: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        match = _PARAM.match(text, pos)
        if match is None or match.end() == pos:
            raise SignatureHeaderError(f"malformed parameter list at character {pos}")
        name = match.group(1).lower()
        if name in params:
            raise SignatureHeaderError(f"duplicate parameter '{match.group(1)}'")
        params[name] = match.group(2) if match.group(2) is not None else match.group(3)
        pos = match.end()
        if text[pos - 1 : pos] == "," and not text[pos:].strip():
            raise SignatureHeaderError("trailing comma in parameter list")
    return params


def _timestamp(params: dict[str, str], name: str) -> int:
    value = params[name].strip()
    if not value.isascii() or not value.isdigit():
        raise SignatureHeaderError(f"{name} must be a Unix timestamp in integer seconds")
    return int(value)


def _headers_list(value: str) -> tuple[str, ...]:
    lowered = value.lower()
    tokens = tuple(_HEADER_TOKEN.findall(lowered))
    if _HEADER_TOKEN.sub("", lowered).strip():
        raise SignatureHeaderError("headers must list (created) (expires) digest")
    return tokens


def _strip_prefix(value: str) -> str:
    text = value.strip()
    # ONDC's Python utility wraps the whole value in stray quotes: "Signature keyId=...,signature="...""
    if text.startswith('"') and text[1:].lower().startswith(("signature ", "keyid")):
        text = text[1:]
        if text.endswith('""'):
            text = text[:-1]
    prefix = _SCHEME.match(text)
    if prefix is not None:
        text = text[prefix.end() :]
    return text.strip()


# The header as ONDC's reference signers and ours write it, parsed in one match; anything else (other spacing,
# order, quoting or case) takes the tolerant parser below, which reads this form to the same `AuthHeader`
# (tests/protocol/test_signing.py).
_CANONICAL = re.compile(
    r'Signature keyId="([^\s"|]+)\|([^\s"|]+)\|ed25519",algorithm="ed25519",created="([0-9]{1,12})",'
    r'expires="([0-9]{1,12})",headers="\(created\) \(expires\) digest",signature="([A-Za-z0-9+/]{86}==)"')


def parse_auth_header(value: str) -> AuthHeader:
    """Parse an ONDC auth header value, tolerating spacing, quoting and ordering variants seen in the wild."""
    match = _CANONICAL.fullmatch(value)
    if match is not None:
        subscriber_id, unique_key_id, created, expires, signature = match.groups()
        return AuthHeader(key_id=KeyId(subscriber_id=subscriber_id, unique_key_id=unique_key_id,
                                       algorithm=ALGORITHM),
                          algorithm=ALGORITHM, created=int(created), expires=int(expires), headers=SIGNED_HEADERS,
                          signature=signature)
    return _parse_any(value)


def _parse_any(value: str) -> AuthHeader:
    if not value or not value.strip():
        raise SignatureHeaderError("missing auth header")
    params = _params(_strip_prefix(value))
    missing = [name for name in _REQUIRED if name not in params]
    if missing:
        names = ", ".join("keyId" if name == "keyid" else name for name in missing)
        raise SignatureHeaderError(f"auth header lacks {names}")
    signature = "".join(params["signature"].split())
    try:
        raw_signature = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureHeaderError("signature is not valid base64") from None
    if len(raw_signature) != _SIGNATURE_LEN:
        raise SignatureHeaderError(f"signature must be {_SIGNATURE_LEN} bytes, got {len(raw_signature)}")
    return AuthHeader(
        key_id=parse_key_id(params["keyid"]),
        algorithm=params["algorithm"].strip().lower(),
        created=_timestamp(params, "created"),
        expires=_timestamp(params, "expires"),
        headers=_headers_list(params["headers"]),
        signature=signature,
    )


def verify_request(
    body: bytes, header: str, *, public_key_b64: str, now: int, clock_skew: int = 5
) -> AuthHeader:
    """Verify ``header`` over the raw ``body`` bytes with the sender's registry key; return the parsed header.

    Raises a `SignatureError` subclass, or `KeyFormatError` if ``public_key_b64`` itself is malformed.
    """
    return verify_parsed(body, parse_auth_header(header), public_key_b64=public_key_b64, now=now,
                         clock_skew=clock_skew)


def verify_parsed(
    body: bytes, auth: AuthHeader, *, public_key_b64: str, now: int, clock_skew: int = 5
) -> AuthHeader:
    """`verify_request` for a header already parsed (the receiver parses it once to find the registry key)."""
    if clock_skew < 0:
        raise ValueError("clock_skew must not be negative")
    verify_key = _verify_key(public_key_b64)
    if auth.algorithm != ALGORITHM:
        raise SignatureHeaderError(f"algorithm must be {ALGORITHM}")
    if auth.key_id.algorithm != auth.algorithm:
        raise SignatureHeaderError("keyId algorithm does not match algorithm")
    if auth.headers != SIGNED_HEADERS:
        raise SignatureHeaderError("headers must be (created) (expires) digest")
    if auth.expires <= auth.created:
        raise SignatureHeaderError("expires must be after created")
    if auth.created > now + clock_skew:
        raise SignatureNotYetValidError("signature created in the future")
    if auth.expires < now - clock_skew:
        raise SignatureExpiredError("signature has expired")
    text = signing_string(created=auth.created, expires=auth.expires, digest=body_digest(body))
    try:
        verify_key.verify(text.encode("utf-8"), base64.b64decode(auth.signature))
    except nacl.exceptions.BadSignatureError:
        raise SignatureMismatchError("signature does not match the request body") from None
    return auth


@functools.lru_cache(maxsize=1024)
def _verify_key(public_key_b64: str) -> nacl.signing.VerifyKey:
    """The verifier of a registry key, decoded once (every request from a buyer app is signed with the same key;
    a malformed key raises each time, as exceptions are not cached)."""
    return nacl.signing.VerifyKey(decode_signing_public_key(public_key_b64))


def sign_site_verification(request_id: str, key: SigningKey) -> str:
    """Base64 Ed25519 signature of the /subscribe `request_id` (no hashing) for the verification page."""
    if not request_id:
        raise ValueError("request_id must not be empty")
    return base64.b64encode(key.sign(request_id.encode("utf-8"))).decode("ascii")


def site_verification_html(signed: str) -> str:
    """The `ondc-site-verification.html` page carrying the signed request_id (ONDC onboarding template)."""
    content = html.escape(signed.strip(), quote=True)
    return (
        "<html>\n"
        "    <head>\n"
        f"        <meta name='ondc-site-verification' content='{content}' />\n"
        "    </head>\n"
        "    <body>\n"
        "        ONDC Site Verification Page\n"
        "    </body>\n"
        "</html>\n"
    )


def decrypt_challenge(
    encrypted_b64: str, our_encryption_private_der_b64: str, ondc_public_der_b64: str
) -> str:
    """Decrypt the registry's /on_subscribe challenge: X25519 shared key, AES-256-ECB, PKCS#7 padding."""
    shared_key = EncryptionKey.from_base64(our_encryption_private_der_b64).exchange(ondc_public_der_b64)
    try:
        ciphertext = base64.b64decode("".join(encrypted_b64.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ChallengeDecryptionError("challenge is not valid base64") from None
    if not ciphertext or len(ciphertext) % 16:
        raise ChallengeDecryptionError("challenge length is not a whole number of AES blocks")
    # ECB because that is what the registry uses for the challenge (reference on_subscribe service).
    decryptor = Cipher(algorithms.AES(shared_key), modes.ECB()).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        plain = unpadder.update(padded) + unpadder.finalize()
        return plain.decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise ChallengeDecryptionError("challenge did not decrypt with these keys (wrong key?)") from None
