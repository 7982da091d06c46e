"""ONDC key material: Ed25519 signing keys and X25519 encryption keys in the registry's string formats.

Formats (PROTOCOL.md §9, developer-docs `registry/key-format-generation.md`):

* signing private key: base64 of the 64-byte libsodium secret key (seed ‖ public key); the bare
  32-byte seed is accepted too, and both load to the same key;
* signing public key: base64 of the raw 32-byte Ed25519 public key;
* encryption private key: base64 of PKCS#8 DER (``MC4CAQAwBQYDK2VuBCIEI…``);
* encryption public key: base64 of SubjectPublicKeyInfo DER (``MCowBQYDK2VuAyEA…``).

Errors::

    ValueError
     └── KeyFormatError   a key string is not in the expected format (never quotes the secret)
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType

import nacl.bindings
import nacl.exceptions
import nacl.signing
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

__all__ = [
    "REGISTRY_ENCRYPTION_PUBLIC_KEYS",
    "EncryptionKey",
    "KeyFormatError",
    "KeySet",
    "SigningKey",
    "decode_signing_public_key",
    "generate_keyset",
    "load_encryption_public_key",
]

_SEED_LEN = 32
_SECRET_LEN = 64
_PUBLIC_LEN = 32

# ONDC registry X25519 public keys, used to decrypt the /on_subscribe challenge (PROTOCOL.md §9).
REGISTRY_ENCRYPTION_PUBLIC_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "prod": "MCowBQYDK2VuAyEAvVEyZY91O2yV8w8/CAwVDAnqIZDJJUPdLUUKwLo3K0M=",
        "preprod": "MCowBQYDK2VuAyEAa9Wbpvd9SsrpOZFcynyt/TO3x0Yrqyys4NUGIvyxX2Q=",
        "staging": "MCowBQYDK2VuAyEAduMuZgmtpjdCuxv+Nc49K0cB6tL/Dj3HZetvVN7ZekM=",
    }
)


class KeyFormatError(ValueError):
    """A key string is not in the format ONDC expects; the message names the format, never the key."""


def _b64decode(value: str, what: str) -> bytes:
    if not isinstance(value, str):
        raise KeyFormatError(f"{what}: expected a base64 string, got {type(value).__name__}")
    cleaned = "".join(value.split())
    if not cleaned:
        raise KeyFormatError(f"{what}: expected a base64 string, got an empty value")
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        raise KeyFormatError(f"{what}: not valid standard base64 (A-Z a-z 0-9 + / with = padding)") from None


def _b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


class SigningKey:
    """Our Ed25519 signing key; built from the ONDC base64 private key (64-byte secret or 32-byte seed)."""

    __slots__ = ("_nacl",)

    def __init__(self, seed: bytes) -> None:
        if len(seed) != _SEED_LEN:
            raise KeyFormatError(f"Ed25519 seed: expected {_SEED_LEN} bytes, got {len(seed)}")
        self._nacl = nacl.signing.SigningKey(seed)

    @classmethod
    def from_base64(cls, value: str) -> SigningKey:
        """Load a signing private key: base64 of the 64-byte libsodium secret key or of the 32-byte seed."""
        what = "signing private key"
        raw = _b64decode(value, what)
        if len(raw) == _SEED_LEN:
            return cls(raw)
        if len(raw) == _SECRET_LEN:
            key = cls(nacl.bindings.crypto_sign_ed25519_sk_to_seed(raw))
            # The second half of a libsodium secret key is the public key: a mismatch means a corrupt
            # or spliced key, and signing with it would fail verification at every counterparty.
            if key.public_key_bytes != raw[_SEED_LEN:]:
                raise KeyFormatError(
                    f"{what}: the 64-byte secret key's public half does not match its seed (corrupt key?)"
                )
            return key
        raise KeyFormatError(
            f"{what}: expected base64 of {_SECRET_LEN} bytes (libsodium seed+public) "
            f"or {_SEED_LEN} bytes (seed), got {len(raw)} bytes"
        )

    @classmethod
    def generate(cls) -> SigningKey:
        """Generate a fresh random signing key."""
        return cls(bytes(nacl.signing.SigningKey.generate()))

    @property
    def public_key_bytes(self) -> bytes:
        """The raw 32-byte Ed25519 public key."""
        return bytes(self._nacl.verify_key)

    @property
    def public_key_b64(self) -> str:
        """The public key as the registry stores it (`signing_public_key`)."""
        return _b64encode(self.public_key_bytes)

    def private_key_b64(self) -> str:
        """The private key in ONDC's format: base64 of the 64-byte libsodium secret key."""
        return _b64encode(bytes(self._nacl) + self.public_key_bytes)

    def seed_b64(self) -> str:
        """The private key as base64 of the bare 32-byte seed."""
        return _b64encode(bytes(self._nacl))

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte detached Ed25519 signature of ``message`` (no pre-hashing)."""
        return bytes(self._nacl.sign(message).signature)

    def __repr__(self) -> str:
        return f"SigningKey(public_key={self.public_key_b64!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SigningKey):
            return NotImplemented
        return self.public_key_bytes == other.public_key_bytes

    def __hash__(self) -> int:
        return hash(self.public_key_bytes)


def decode_signing_public_key(value: str) -> bytes:
    """Decode a registry `signing_public_key` (base64 of the raw 32-byte Ed25519 key) to its bytes."""
    what = "signing public key"
    raw = _b64decode(value, what)
    if len(raw) != _PUBLIC_LEN:
        raise KeyFormatError(f"{what}: expected base64 of {_PUBLIC_LEN} raw bytes, got {len(raw)} bytes")
    try:
        nacl.signing.VerifyKey(raw)
    except (nacl.exceptions.CryptoError, ValueError, TypeError):
        raise KeyFormatError(f"{what}: not a valid Ed25519 public key") from None
    return raw


class EncryptionKey:
    """Our X25519 encryption private key; loads base64 PKCS#8 DER (or a bare 32-byte key)."""

    __slots__ = ("_key",)

    def __init__(self, key: X25519PrivateKey) -> None:
        self._key = key

    @classmethod
    def from_base64(cls, value: str) -> EncryptionKey:
        """Load an encryption private key: base64 of PKCS#8 DER (`MC4CAQ…`) or of the raw 32 bytes."""
        what = "encryption private key"
        raw = _b64decode(value, what)
        if len(raw) == _SEED_LEN:
            return cls(X25519PrivateKey.from_private_bytes(raw))
        try:
            key = serialization.load_der_private_key(raw, password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise KeyFormatError(f"{what}: expected base64 of X25519 PKCS#8 DER (starts 'MC4CAQ')") from None
        if not isinstance(key, X25519PrivateKey):
            raise KeyFormatError(f"{what}: expected an X25519 key in the PKCS#8 DER, got another key type")
        return cls(key)

    @classmethod
    def generate(cls) -> EncryptionKey:
        """Generate a fresh random X25519 key."""
        return cls(X25519PrivateKey.generate())

    def private_key_b64(self) -> str:
        """The private key in ONDC's format: base64 of PKCS#8 DER."""
        der = self._key.private_bytes(
            encoding=serialization.Encoding.DER,
            format=serialization.PrivateFormat.PKCS8,
            encryption_algorithm=serialization.NoEncryption(),
        )
        return _b64encode(der)

    @property
    def public_key_b64(self) -> str:
        """The public key as the registry stores it (`encryption_public_key`): base64 SPKI DER."""
        der = self._key.public_key().public_bytes(
            encoding=serialization.Encoding.DER,
            format=serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        return _b64encode(der)

    def exchange(self, peer_public_key_b64: str) -> bytes:
        """X25519 shared secret (32 bytes) with a peer's base64 SPKI DER public key."""
        return self._key.exchange(load_encryption_public_key(peer_public_key_b64))

    def __repr__(self) -> str:
        return f"EncryptionKey(public_key={self.public_key_b64!r})"


def load_encryption_public_key(value: str) -> X25519PublicKey:
    """Load an X25519 public key: base64 SubjectPublicKeyInfo DER (`MCowBQYDK2VuAyEA…`) or raw 32 bytes."""
    what = "encryption public key"
    raw = _b64decode(value, what)
    if len(raw) == _PUBLIC_LEN:
        return X25519PublicKey.from_public_bytes(raw)
    try:
        key = serialization.load_der_public_key(raw)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise KeyFormatError(
            f"{what}: expected base64 of X25519 SubjectPublicKeyInfo DER (starts 'MCowBQYDK2VuAyEA')"
        ) from None
    if not isinstance(key, X25519PublicKey):
        raise KeyFormatError(f"{what}: expected an X25519 key in the DER, got another key type")
    return key


def _registry_timestamp(value: datetime, name: str) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


@dataclass(frozen=True, repr=False)
class KeySet:
    """The four ONDC key strings a participant registers and keeps (private ones secret)."""

    signing_private_key: str
    signing_public_key: str
    encryption_private_key: str
    encryption_public_key: str

    @classmethod
    def from_keys(cls, signing: SigningKey, encryption: EncryptionKey) -> KeySet:
        """Build the string forms from loaded keys."""
        return cls(
            signing_private_key=signing.private_key_b64(),
            signing_public_key=signing.public_key_b64,
            encryption_private_key=encryption.private_key_b64(),
            encryption_public_key=encryption.public_key_b64,
        )

    def signing_key(self) -> SigningKey:
        """Load the signing key, checking it matches the stored public key."""
        key = SigningKey.from_base64(self.signing_private_key)
        if key.public_key_b64 != self.signing_public_key.strip():
            raise KeyFormatError("signing public key: does not match the signing private key")
        return key

    def encryption_key(self) -> EncryptionKey:
        """Load the encryption key, checking it matches the stored public key."""
        key = EncryptionKey.from_base64(self.encryption_private_key)
        stored = load_encryption_public_key(self.encryption_public_key)
        if key.public_key_b64 != _b64encode(
            stored.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        ):
            raise KeyFormatError("encryption public key: does not match the encryption private key")
        return key

    def as_env(self, prefix: str = "ONDC_") -> dict[str, str]:
        """Environment-variable form (`ONDC_SIGNING_PRIVATE_KEY=…`), e.g. for writing a `.env` file."""
        return {
            f"{prefix}SIGNING_PRIVATE_KEY": self.signing_private_key,
            f"{prefix}SIGNING_PUBLIC_KEY": self.signing_public_key,
            f"{prefix}ENCRYPTION_PRIVATE_KEY": self.encryption_private_key,
            f"{prefix}ENCRYPTION_PUBLIC_KEY": self.encryption_public_key,
        }

    def as_registry_key_pair(self, *, valid_from: datetime, valid_until: datetime) -> dict[str, str]:
        """The public `key_pair` object of a registry /subscribe `entity` (no private keys)."""
        start = _registry_timestamp(valid_from, "valid_from")
        end = _registry_timestamp(valid_until, "valid_until")
        if valid_until <= valid_from:
            raise ValueError("valid_until must be after valid_from")
        return {
            "signing_public_key": self.signing_public_key,
            "encryption_public_key": self.encryption_public_key,
            "valid_from": start,
            "valid_until": end,
        }

    def __repr__(self) -> str:
        return (
            f"KeySet(signing_public_key={self.signing_public_key!r}, "
            f"encryption_public_key={self.encryption_public_key!r})"
        )


def generate_keyset() -> KeySet:
    """Generate a fresh signing and encryption key set in ONDC's string formats."""
    return KeySet.from_keys(SigningKey.generate(), EncryptionKey.generate())
