import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adapter.protocol.keys import (
    REGISTRY_ENCRYPTION_PUBLIC_KEYS,
    EncryptionKey,
    KeyFormatError,
    KeySet,
    SigningKey,
    decode_signing_public_key,
    generate_keyset,
    load_encryption_public_key,
)

# ONDC-Official/reference-implementations utilities/signing_and_verification/python/README.md @d4670ce4
README_SIGNING_PRIVATE = (
    "G0Pme72u8Y1MwxHqvY4iBW+7VPtJ7dsX7SGs6zZ5yvVIzdRAyHR6YkwHG2ufOE+12lsbJRwBF4Hqd7dUEOZZkg=="
)
README_SIGNING_PUBLIC = "SM3UQMh0emJMBxtrnzhPtdpbGyUcAReB6ne3VBDmWZI="
README_ENC_PRIVATE = "MC4CAQAwBQYDK2VuBCIEIKi7NbXeN8QzXjN48XkjOiS/UaR6rumXep8VslMy4fRU"
README_ENC_PUBLIC = "MCowBQYDK2VuAyEA9CEWxnLJkmwW/67QR739BEam7bbd3NsffjDa5HANf0Q="


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


# --- signing keys ---------------------------------------------------------------------------------------


def test_reference_keypair_loads_and_derives_its_public_key() -> None:
    key = SigningKey.from_base64(README_SIGNING_PRIVATE)
    assert key.public_key_b64 == README_SIGNING_PUBLIC
    assert key.private_key_b64() == README_SIGNING_PRIVATE


def test_secret_and_seed_forms_load_the_same_key() -> None:
    secret = base64.b64decode(README_SIGNING_PRIVATE)
    from_secret = SigningKey.from_base64(README_SIGNING_PRIVATE)
    from_seed = SigningKey.from_base64(_b64(secret[:32]))
    assert from_secret == from_seed
    assert from_seed.private_key_b64() == README_SIGNING_PRIVATE
    assert from_secret.seed_b64() == _b64(secret[:32])
    assert from_secret.sign(b"m") == from_seed.sign(b"m")


def test_whitespace_in_base64_is_tolerated() -> None:
    wrapped = README_SIGNING_PRIVATE[:40] + "\n " + README_SIGNING_PRIVATE[40:] + "\n"
    assert SigningKey.from_base64(wrapped).public_key_b64 == README_SIGNING_PUBLIC


def test_sign_is_detached_64_bytes() -> None:
    assert len(SigningKey.generate().sign(b"hello")) == 64


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty value"),
        ("not base64!!", "not valid standard base64"),
        (_b64(b"x" * 48), "expected base64 of 64 bytes .* or 32 bytes .*, got 48 bytes"),
        (README_SIGNING_PUBLIC[:-4], "got 30 bytes"),
    ],
)
def test_bad_signing_private_keys(value: str, message: str) -> None:
    with pytest.raises(KeyFormatError, match=f"^signing private key: .*{message}"):
        SigningKey.from_base64(value)


def test_non_string_signing_key_rejected() -> None:
    with pytest.raises(KeyFormatError, match="got bytes"):
        SigningKey.from_base64(b"abc")  # type: ignore[arg-type]


def test_spliced_secret_key_rejected_without_leaking_it() -> None:
    secret = base64.b64decode(README_SIGNING_PRIVATE)
    spliced = _b64(secret[:32] + base64.b64decode(SigningKey.generate().public_key_b64))
    with pytest.raises(KeyFormatError, match="public half does not match") as info:
        SigningKey.from_base64(spliced)
    assert spliced not in str(info.value)
    assert spliced[:16] not in str(info.value)


def test_error_messages_never_contain_the_secret() -> None:
    secret = _b64(b"\x07" * 40)
    with pytest.raises(KeyFormatError) as info:
        SigningKey.from_base64(secret)
    assert secret[:12] not in str(info.value)
    with pytest.raises(KeyFormatError) as info:
        EncryptionKey.from_base64(secret)
    assert secret[:12] not in str(info.value)


def test_signing_key_repr_shows_only_public_key() -> None:
    key = SigningKey.from_base64(README_SIGNING_PRIVATE)
    text = repr(key)
    assert text == f"SigningKey(public_key={README_SIGNING_PUBLIC!r})"
    assert README_SIGNING_PRIVATE[:12] not in text


def test_decode_signing_public_key() -> None:
    assert decode_signing_public_key(README_SIGNING_PUBLIC) == base64.b64decode(README_SIGNING_PUBLIC)
    with pytest.raises(KeyFormatError, match="expected base64 of 32 raw bytes, got 64 bytes"):
        decode_signing_public_key(README_SIGNING_PRIVATE)


# --- encryption keys ------------------------------------------------------------------------------------


def test_reference_encryption_keypair_loads() -> None:
    key = EncryptionKey.from_base64(README_ENC_PRIVATE)
    assert key.public_key_b64 == README_ENC_PUBLIC
    assert key.private_key_b64() == README_ENC_PRIVATE


def test_raw_32_byte_encryption_private_key_accepted() -> None:
    der = base64.b64decode(README_ENC_PRIVATE)
    raw = der[-32:]  # PKCS#8 for X25519 ends with the 32-byte key
    assert EncryptionKey.from_base64(_b64(raw)).public_key_b64 == README_ENC_PUBLIC


def test_encryption_key_repr_shows_only_public_key() -> None:
    text = repr(EncryptionKey.from_base64(README_ENC_PRIVATE))
    assert README_ENC_PUBLIC in text
    assert README_ENC_PRIVATE[16:] not in text


@pytest.mark.parametrize("env", ["prod", "preprod", "staging"])
def test_registry_encryption_keys_load(env: str) -> None:
    key = REGISTRY_ENCRYPTION_PUBLIC_KEYS[env]
    assert key.startswith("MCowBQYDK2VuAyEA")
    load_encryption_public_key(key)


def test_ed25519_der_is_not_accepted_as_encryption_key() -> None:
    ed = Ed25519PrivateKey.generate()
    private_der = ed.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_der = ed.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(KeyFormatError, match="encryption private key: expected an X25519 key"):
        EncryptionKey.from_base64(_b64(private_der))
    with pytest.raises(KeyFormatError, match="encryption public key: expected an X25519 key"):
        load_encryption_public_key(_b64(public_der))


@pytest.mark.parametrize("value", [_b64(b"\x30\x05junk"), "@@@"])
def test_bad_encryption_keys(value: str) -> None:
    with pytest.raises(KeyFormatError, match=r"^encryption private key: "):
        EncryptionKey.from_base64(value)
    with pytest.raises(KeyFormatError, match=r"^encryption public key: "):
        load_encryption_public_key(value)


def test_exchange_is_symmetric() -> None:
    a, b = EncryptionKey.generate(), EncryptionKey.generate()
    assert a.exchange(b.public_key_b64) == b.exchange(a.public_key_b64)
    assert len(a.exchange(b.public_key_b64)) == 32


# --- key sets -------------------------------------------------------------------------------------------


def test_generate_keyset_formats() -> None:
    keys = generate_keyset()
    assert len(base64.b64decode(keys.signing_private_key)) == 64
    assert len(base64.b64decode(keys.signing_public_key)) == 32
    assert keys.encryption_private_key.startswith("MC4CAQ")
    assert keys.encryption_public_key.startswith("MCowBQYDK2VuAyEA")
    assert keys.signing_key().public_key_b64 == keys.signing_public_key
    assert keys.encryption_key().public_key_b64 == keys.encryption_public_key


def test_generate_keyset_is_random() -> None:
    assert generate_keyset().signing_public_key != generate_keyset().signing_public_key


def test_keyset_repr_hides_private_keys() -> None:
    keys = generate_keyset()
    text = repr(keys)
    assert keys.signing_public_key in text
    assert keys.encryption_public_key in text
    assert keys.signing_private_key[:12] not in text
    assert keys.encryption_private_key[16:] not in text


def test_keyset_detects_mismatched_public_keys() -> None:
    a, b = generate_keyset(), generate_keyset()
    signing_mixed = KeySet(
        a.signing_private_key, b.signing_public_key, a.encryption_private_key, a.encryption_public_key
    )
    with pytest.raises(KeyFormatError, match="does not match the signing private key"):
        signing_mixed.signing_key()
    enc_mixed = KeySet(
        a.signing_private_key, a.signing_public_key, a.encryption_private_key, b.encryption_public_key
    )
    with pytest.raises(KeyFormatError, match="does not match the encryption private key"):
        enc_mixed.encryption_key()


def test_as_env() -> None:
    keys = KeySet.from_keys(
        SigningKey.from_base64(README_SIGNING_PRIVATE), EncryptionKey.from_base64(README_ENC_PRIVATE)
    )
    assert keys.as_env() == {
        "ONDC_SIGNING_PRIVATE_KEY": README_SIGNING_PRIVATE,
        "ONDC_SIGNING_PUBLIC_KEY": README_SIGNING_PUBLIC,
        "ONDC_ENCRYPTION_PRIVATE_KEY": README_ENC_PRIVATE,
        "ONDC_ENCRYPTION_PUBLIC_KEY": README_ENC_PUBLIC,
    }
    assert set(keys.as_env(prefix="X_")) == {
        "X_SIGNING_PRIVATE_KEY",
        "X_SIGNING_PUBLIC_KEY",
        "X_ENCRYPTION_PRIVATE_KEY",
        "X_ENCRYPTION_PUBLIC_KEY",
    }


def test_as_registry_key_pair_has_only_public_keys_and_utc_times() -> None:
    keys = generate_keyset()
    ist = timezone(timedelta(hours=5, minutes=30))
    pair = keys.as_registry_key_pair(
        valid_from=datetime(2025, 1, 1, 5, 30, 0, 123456, tzinfo=ist),
        valid_until=datetime(2030, 1, 1, tzinfo=UTC),
    )
    assert pair == {
        "signing_public_key": keys.signing_public_key,
        "encryption_public_key": keys.encryption_public_key,
        "valid_from": "2025-01-01T00:00:00.123Z",
        "valid_until": "2030-01-01T00:00:00.000Z",
    }


def test_as_registry_key_pair_rejects_naive_and_reversed_times() -> None:
    keys = generate_keyset()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="timezone-aware"):
        keys.as_registry_key_pair(
            valid_from=start.replace(tzinfo=None), valid_until=start.replace(tzinfo=None)
        )
    with pytest.raises(ValueError, match="valid_until must be after"):
        keys.as_registry_key_pair(valid_from=start, valid_until=start)
