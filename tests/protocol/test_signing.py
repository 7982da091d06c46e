import base64
import re
from pathlib import Path

import nacl.encoding
import nacl.hash
import pytest
from cryptography.hazmat.primitives import padding, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from adapter.protocol.keys import EncryptionKey, KeyFormatError, SigningKey, generate_keyset
from adapter.protocol.signing import (
    AuthHeader,
    ChallengeDecryptionError,
    KeyId,
    SignatureError,
    SignatureExpiredError,
    SignatureHeaderError,
    SignatureMismatchError,
    SignatureNotYetValidError,
    body_digest,
    decrypt_challenge,
    parse_auth_header,
    parse_key_id,
    sign_request,
    sign_site_verification,
    signing_string,
    site_verification_html,
    verify_request,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "ondc" / "examples"  # vendored ONDC examples

# --- known-answer vectors -------------------------------------------------------------------------------

# Official ONDC vector: ONDC-Official/developer-docs registry/signing-verification.md
# @3c8fc0b698d6324c459f9dd8d996cd7cae5c207d (body, key pair, created/expires, digest and signature).
ONDC_DOC_BODY = (
    b'{"context":{"domain":"nic2004:60212","country":"IND","city":"Kochi","action":"search",'
    b'"core_version":"0.9.1","bap_id":"bap.stayhalo.in","bap_uri":"https://8f9f-49-207-209-131.ngrok.io/protocol/",'
    b'"transaction_id":"e6d9f908-1d26-4ff3-a6d1-3af3d3721054","message_id":"a2fe6d52-9fe4-4d1a-9d0b-dccb8b48522d",'
    b'"timestamp":"2022-01-04T09:17:55.971Z","ttl":"P1M"},"message":{"intent":{"fulfillment":{"start":'
    b'{"location":{"gps":"10.108768, 76.347517"}},"end":{"location":{"gps":"10.102997, 76.353480"}}}}}}'
)
ONDC_DOC_PRIVATE = "lP3sHA+9gileOkXYJXh4Jg8tK0gEEMbf9yCPnFpbldhrAY+NErqL9WD+Vav7TE5tyVXGXBle9ONZi2W7o144eQ=="
ONDC_DOC_PUBLIC = "awGPjRK6i/Vg/lWr+0xObclVxlwZXvTjWYtlu6NeOHk="
ONDC_DOC_DIGEST = "b6lf6lRgOweajukcvcLsagQ2T60+85kRh/Rd2bdS+TG/5ALebOEgDJfyCrre/1+BMu5nA94o4DT3pTFXuUg7sw=="
ONDC_DOC_SIGNATURE = (
    "cjbhP0PFyrlSCNszJM1F/YmHDVAWsZqJUPzojnE/7TJU3fJ/rmIlgaUHEr5E0/2PIyf0tpSnWtT6cyNNlpmoAQ=="
)
ONDC_DOC_CREATED, ONDC_DOC_EXPIRES = 1641287875, 1641291475

# Our frozen vector: seed 00..1f, fixed body and times.
KAT_SEED = bytes(range(32))
KAT_BODY = b'{"context":{"domain":"ONDC:RET16","action":"on_search"},"message":{"catalog":{}}}'
KAT_PUBLIC = "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg="
KAT_DIGEST = "FFzY868GRtGIjyrpbed9gb3Qp5jped/E5QsqS5j8XSF7ZDPggSByaRKICpxPBubofTnpEWP134FtzPNZ9MlYOw=="
KAT_HEADER = (
    'Signature keyId="seller.example.org|UK-1|ed25519",algorithm="ed25519",created="1700000000",'
    'expires="1700003600",headers="(created) (expires) digest",'
    'signature="HestsGCoz54sm4NdNc2qRs05x8oXe4NSJaVBqq3esnsz5EH7XlP8/+lfuj7Efw/QpYDg2QNnNn1zTM0WJD+ADA=="'
)

# Official ONDC vector: ONDC-Official/reference-implementations
# utilities/signing_and_verification/python/README.md @d4670ce4 ("decrypt" example, a key pair with itself).
ONDC_README_ENC_PRIVATE = "MC4CAQAwBQYDK2VuBCIEIOgl3rf3arbk1PvIe0C9TZp7ImR71NSQdvuSu+zzY6xo"
ONDC_README_ENC_PUBLIC = "MCowBQYDK2VuAyEAi801MjVpgFOXHjliyT6Nb14HkS5dj1p41qbeyU6/SC8="
ONDC_README_CHALLENGE = "CrwN248HS4CIYsUvxtrK0pWCBaoyZh4LnWtGqeH7Mpc="

NOW = 1_700_000_100


@pytest.fixture
def key() -> SigningKey:
    return SigningKey(KAT_SEED)


def _sign(body: bytes, key: SigningKey, created: int = 1_700_000_000, expires: int = 1_700_003_600) -> str:
    return sign_request(
        body,
        subscriber_id="seller.example.org",
        unique_key_id="UK-1",
        key=key,
        created=created,
        expires=expires,
    )


# --- signing --------------------------------------------------------------------------------------------


def test_official_ondc_vector_digest_and_signature() -> None:
    key = SigningKey.from_base64(ONDC_DOC_PRIVATE)
    assert key.public_key_b64 == ONDC_DOC_PUBLIC
    assert body_digest(ONDC_DOC_BODY) == ONDC_DOC_DIGEST
    header = sign_request(
        ONDC_DOC_BODY,
        subscriber_id="example-bap.com",
        unique_key_id="bap1234",
        key=key,
        created=ONDC_DOC_CREATED,
        expires=ONDC_DOC_EXPIRES,
    )
    assert parse_auth_header(header).signature == ONDC_DOC_SIGNATURE


def test_official_ondc_doc_header_verifies_as_published() -> None:
    # The doc's header has no "Signature " prefix and headers=" (created)(expires)digest".
    header = (
        'keyId="example-bap.com|bap1234|ed25519",algorithm="ed25519",created="1641287875",expires="1641291475",'
        f'headers=" (created)(expires)digest",signature="{ONDC_DOC_SIGNATURE}"'
    )
    auth = verify_request(ONDC_DOC_BODY, header, public_key_b64=ONDC_DOC_PUBLIC, now=ONDC_DOC_CREATED + 60)
    assert auth.key_id == KeyId("example-bap.com", "bap1234", "ed25519")


def test_frozen_known_answer_header(key: SigningKey) -> None:
    assert key.public_key_b64 == KAT_PUBLIC
    assert body_digest(KAT_BODY) == KAT_DIGEST
    assert _sign(KAT_BODY, key) == KAT_HEADER


def test_frozen_vector_checks_out_with_independent_libraries() -> None:
    # libsodium's BLAKE2b (body_digest uses hashlib's) and cryptography's Ed25519 (signing uses PyNaCl's).
    assert base64.b64encode(nacl.hash.blake2b(KAT_BODY, digest_size=64, encoder=nacl.encoding.RawEncoder)).decode() \
        == KAT_DIGEST
    text = f"(created): 1700000000\n(expires): 1700003600\ndigest: BLAKE-512={KAT_DIGEST}".encode()
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(KAT_PUBLIC))
    public.verify(base64.b64decode(parse_auth_header(KAT_HEADER).signature), text)  # raises if wrong


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_body_digest_is_libsodiums_blake2b_of_each_ondc_example(name: str) -> None:
    body = (EXAMPLES / name).read_bytes()
    assert body_digest(body) == base64.b64encode(
        nacl.hash.blake2b(body, digest_size=64, encoder=nacl.encoding.RawEncoder)).decode()


@pytest.mark.parametrize("body", [b"", b"{}", "{\"name\": \"चंबा रूमाल\"}".encode(), b"x" * 2047, b"x" * 2048,
                                  bytes(range(256)) * 1000])
def test_body_digest_is_libsodiums_blake2b_at_every_length(body: bytes) -> None:
    # hashlib hashes 2 KB and more with the GIL released: both sides of that line, and a body of 256 KB.
    assert body_digest(body) == base64.b64encode(
        nacl.hash.blake2b(body, digest_size=64, encoder=nacl.encoding.RawEncoder)).decode()


def test_signing_string_is_exactly_three_lines() -> None:
    assert (
        signing_string(created=1, expires=2, digest="abc=")
        == "(created): 1\n(expires): 2\ndigest: BLAKE-512=abc="
    )


def test_seed_and_libsodium_secret_formats_sign_identically(key: SigningKey) -> None:
    from_secret = SigningKey.from_base64(key.private_key_b64())
    from_seed = SigningKey.from_base64(key.seed_b64())
    assert _sign(KAT_BODY, from_secret) == _sign(KAT_BODY, from_seed) == KAT_HEADER


def test_digest_is_over_raw_bytes_not_reserialised_json(key: SigningKey) -> None:
    spaced = b'{"a": 1}'
    header = _sign(spaced, key)
    verify_request(spaced, header, public_key_b64=key.public_key_b64, now=NOW)
    with pytest.raises(SignatureMismatchError):
        verify_request(b'{"a":1}', header, public_key_b64=key.public_key_b64, now=NOW)


@pytest.mark.parametrize(
    ("subscriber_id", "unique_key_id"), [("", "k"), ("a|b", "k"), ("a", 'k"'), (" a", "k"), ("a", "")]
)
def test_sign_rejects_ids_that_break_the_key_id(
    key: SigningKey, subscriber_id: str, unique_key_id: str
) -> None:
    with pytest.raises(ValueError, match="must be non-empty"):
        sign_request(
            b"{}", subscriber_id=subscriber_id, unique_key_id=unique_key_id, key=key, created=1, expires=2
        )


def test_sign_rejects_expires_not_after_created(key: SigningKey) -> None:
    with pytest.raises(ValueError, match="expires must be after created"):
        _sign(b"{}", key, created=10, expires=10)


# --- verification ---------------------------------------------------------------------------------------


def test_round_trip_returns_parsed_header(key: SigningKey) -> None:
    auth = verify_request(KAT_BODY, _sign(KAT_BODY, key), public_key_b64=key.public_key_b64, now=NOW)
    assert auth.subscriber_id == "seller.example.org"
    assert auth.unique_key_id == "UK-1"
    assert (auth.created, auth.expires) == (1_700_000_000, 1_700_003_600)


def test_round_trip_with_generated_keys() -> None:
    keys = generate_keyset()
    header = _sign(b'{"x":"\xe0\xa4\xb9"}', keys.signing_key())
    verify_request(b'{"x":"\xe0\xa4\xb9"}', header, public_key_b64=keys.signing_public_key, now=NOW)


@pytest.mark.parametrize("position", [0, len(KAT_BODY) // 2, len(KAT_BODY) - 1])
def test_one_changed_byte_fails(key: SigningKey, position: int) -> None:
    header = _sign(KAT_BODY, key)
    tampered = bytearray(KAT_BODY)
    tampered[position] ^= 0x01
    with pytest.raises(SignatureMismatchError):
        verify_request(bytes(tampered), header, public_key_b64=key.public_key_b64, now=NOW)


def test_appended_byte_fails(key: SigningKey) -> None:
    with pytest.raises(SignatureMismatchError):
        verify_request(KAT_BODY + b"\n", _sign(KAT_BODY, key), public_key_b64=key.public_key_b64, now=NOW)


def test_wrong_public_key_fails(key: SigningKey) -> None:
    other = SigningKey.generate()
    with pytest.raises(SignatureMismatchError):
        verify_request(KAT_BODY, _sign(KAT_BODY, key), public_key_b64=other.public_key_b64, now=NOW)


def test_tampered_created_fails_signature(key: SigningKey) -> None:
    header = _sign(KAT_BODY, key).replace('created="1700000000"', 'created="1700000001"')
    with pytest.raises(SignatureMismatchError):
        verify_request(KAT_BODY, header, public_key_b64=key.public_key_b64, now=NOW)


def test_malformed_public_key_is_a_key_error_not_a_mismatch(key: SigningKey) -> None:
    with pytest.raises(KeyFormatError, match="signing public key"):
        verify_request(KAT_BODY, _sign(KAT_BODY, key), public_key_b64="c2hvcnQ=", now=NOW)


@pytest.mark.parametrize(
    ("now", "skew"),
    [
        (1_700_000_000, 0),  # exactly at created
        (1_700_003_600, 0),  # exactly at expires
        (1_699_999_995, 5),  # created 5 s ahead of our clock
        (1_700_003_605, 5),  # expired 5 s ago
    ],
)
def test_validity_window_edges_accepted(key: SigningKey, now: int, skew: int) -> None:
    verify_request(
        KAT_BODY, _sign(KAT_BODY, key), public_key_b64=key.public_key_b64, now=now, clock_skew=skew
    )


def test_expired_beyond_skew(key: SigningKey) -> None:
    with pytest.raises(SignatureExpiredError):
        verify_request(KAT_BODY, _sign(KAT_BODY, key), public_key_b64=key.public_key_b64, now=1_700_003_606)


def test_expired_without_skew(key: SigningKey) -> None:
    with pytest.raises(SignatureExpiredError):
        verify_request(
            KAT_BODY, _sign(KAT_BODY, key), public_key_b64=key.public_key_b64, now=1_700_003_601, clock_skew=0
        )


def test_not_yet_valid_beyond_skew(key: SigningKey) -> None:
    with pytest.raises(SignatureNotYetValidError):
        verify_request(KAT_BODY, _sign(KAT_BODY, key), public_key_b64=key.public_key_b64, now=1_699_999_994)


def test_negative_skew_rejected(key: SigningKey) -> None:
    with pytest.raises(ValueError, match="clock_skew"):
        verify_request(KAT_BODY, KAT_HEADER, public_key_b64=key.public_key_b64, now=NOW, clock_skew=-1)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (KAT_HEADER.replace('algorithm="ed25519"', 'algorithm="rsa-sha256"'), "algorithm must be ed25519"),
        (KAT_HEADER.replace("UK-1|ed25519", "UK-1|rsa"), "keyId algorithm does not match"),
        (KAT_HEADER.replace("(created) (expires) digest", "(created) digest"), "headers must be"),
        (KAT_HEADER.replace("(created) (expires) digest", "digest (created) (expires)"), "headers must be"),
        (KAT_HEADER.replace('expires="1700003600"', 'expires="1700000000"'), "expires must be after created"),
    ],
)
def test_semantic_header_errors(key: SigningKey, header: str, reason: str) -> None:
    with pytest.raises(SignatureHeaderError, match=reason):
        verify_request(KAT_BODY, header, public_key_b64=key.public_key_b64, now=NOW)


def test_errors_share_a_base_and_carry_reason_and_status() -> None:
    for cls in (
        SignatureHeaderError,
        SignatureExpiredError,
        SignatureNotYetValidError,
        SignatureMismatchError,
    ):
        assert issubclass(cls, SignatureError)
    error = SignatureExpiredError("signature has expired")
    assert error.reason == "signature has expired"
    assert (error.status, error.ondc_code) == (401, "30016")


# --- header parsing -------------------------------------------------------------------------------------

_SIG = parse_auth_header(KAT_HEADER).signature


@pytest.mark.parametrize(
    "header",
    [
        KAT_HEADER,
        KAT_HEADER.replace("Signature ", "signature "),
        KAT_HEADER.replace("Signature ", "SIGNATURE  "),
        KAT_HEADER.replace("Signature ", ""),
        KAT_HEADER.replace('",', '", '),
        KAT_HEADER.replace('",', '" ,\t'),
        re.sub(r'(?<=[A-Za-z])="', ' = "', KAT_HEADER),
        KAT_HEADER.replace('created="1700000000"', "created=1700000000").replace(
            'expires="1700003600"', "expires=1700003600"
        ),
        KAT_HEADER.replace("(created) (expires) digest", "(created)(expires)digest"),
        KAT_HEADER.replace("(created) (expires) digest", " (created)  (expires) digest "),
        KAT_HEADER.replace("keyId=", "keyid=").replace("algorithm=", "Algorithm="),
        f'"{KAT_HEADER}"',  # ONDC's Python utility wraps the value in stray quotes
        "  " + KAT_HEADER + "  ",
        (
            f'Signature signature="{_SIG}",headers="(created) (expires) digest",expires="1700003600",'
            'created="1700000000",algorithm="ed25519",keyId="seller.example.org|UK-1|ed25519"'
        ),
    ],
)
def test_header_variants_parse_and_verify(key: SigningKey, header: str) -> None:
    expected = AuthHeader(
        key_id=KeyId("seller.example.org", "UK-1", "ed25519"),
        algorithm="ed25519",
        created=1_700_000_000,
        expires=1_700_003_600,
        headers=("(created)", "(expires)", "digest"),
        signature=_SIG,
    )
    assert parse_auth_header(header) == expected
    assert verify_request(KAT_BODY, header, public_key_b64=key.public_key_b64, now=NOW) == expected


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("", "missing auth header"),
        ("   ", "missing auth header"),
        ("Signature", "malformed parameter list"),
        (KAT_HEADER.replace(',algorithm="ed25519"', ""), "lacks algorithm"),
        (KAT_HEADER.replace('keyId="seller.example.org|UK-1|ed25519",', ""), "lacks keyId"),
        (KAT_HEADER + ',created="1"', "duplicate parameter"),
        (KAT_HEADER + ",", "trailing comma"),
        (KAT_HEADER.replace('",', '" '), "malformed parameter list"),
        (KAT_HEADER.replace('created="1700000000"', 'created="1700000000.5"'), "created must be a Unix"),
        (KAT_HEADER.replace('expires="1700003600"', 'expires="-1"'), "expires must be a Unix"),
        (
            KAT_HEADER.replace("seller.example.org|UK-1|ed25519", "seller.example.org|ed25519"),
            "keyId must be",
        ),
        (KAT_HEADER.replace("seller.example.org|UK-1|", "seller.example.org||"), "keyId must be"),
        (KAT_HEADER.replace(_SIG, "not*base64"), "signature is not valid base64"),
        (KAT_HEADER.replace(_SIG, "c2hvcnQ="), "signature must be 64 bytes"),
        (KAT_HEADER.replace("(created) (expires) digest", "(created) [expires] digest"), "headers must list"),
    ],
)
def test_malformed_headers_rejected(header: str, reason: str) -> None:
    with pytest.raises(SignatureHeaderError, match=reason):
        parse_auth_header(header)


def test_parse_key_id() -> None:
    assert parse_key_id("np.example.com/ondc|584|ED25519") == KeyId("np.example.com/ondc", "584", "ed25519")
    with pytest.raises(SignatureHeaderError):
        parse_key_id("a|b|c|d")


# --- onboarding -----------------------------------------------------------------------------------------


def test_site_verification_signs_request_id_without_hashing() -> None:
    # RFC 8032 §7.1 TEST 2: message 0x72 ("r") with this seed.
    key = SigningKey(bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"))
    expected = (
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
    )
    assert base64.b64decode(sign_site_verification("r", key)).hex() == expected


def test_site_verification_verifies_over_request_id(key: SigningKey) -> None:
    request_id = "5f1c2c8e-0c2b-4b7e-9d3a-2f7f6c1a9e10"
    signed = sign_site_verification(request_id, key)
    Ed25519PublicKey.from_public_bytes(key.public_key_bytes).verify(
        base64.b64decode(signed), request_id.encode()
    )


def test_site_verification_rejects_empty_request_id(key: SigningKey) -> None:
    with pytest.raises(ValueError, match="request_id"):
        sign_site_verification("", key)


def test_site_verification_html_matches_onboarding_template() -> None:
    page = site_verification_html("abc+/==")
    assert "<meta name='ondc-site-verification' content='abc+/==' />" in page
    assert page.startswith("<html>")
    assert "ONDC Site Verification Page" in page


def test_site_verification_html_escapes_content() -> None:
    assert "content='&#x27;&gt;&lt;script&gt;'" in site_verification_html("'><script>")


def _encrypt_challenge(
    plaintext: str, sender_private: X25519PrivateKey, recipient_public_der_b64: str
) -> str:
    """The registry's side: X25519 shared key, AES-256-ECB, PKCS#7."""
    recipient = serialization.load_der_public_key(base64.b64decode(recipient_public_der_b64))
    shared = sender_private.exchange(recipient)  # type: ignore[arg-type]
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext.encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(shared), modes.ECB()).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()


def _public_der_b64(private: X25519PrivateKey) -> str:
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def test_decrypt_challenge_official_vector() -> None:
    plain = decrypt_challenge(ONDC_README_CHALLENGE, ONDC_README_ENC_PRIVATE, ONDC_README_ENC_PUBLIC)
    assert plain == "ONDC is a Great Initiative!"


@pytest.mark.parametrize("challenge", ["x", "0123456789abcdef", "चुनौती-" * 9])
def test_decrypt_challenge_round_trip(challenge: str) -> None:
    ours = generate_keyset()
    registry = X25519PrivateKey.generate()
    encrypted = _encrypt_challenge(challenge, registry, ours.encryption_public_key)
    assert decrypt_challenge(encrypted, ours.encryption_private_key, _public_der_b64(registry)) == challenge


def test_decrypt_challenge_with_wrong_registry_key_fails() -> None:
    ours = EncryptionKey(X25519PrivateKey.from_private_bytes(bytes([1] * 32)))
    registry = X25519PrivateKey.from_private_bytes(bytes([2] * 32))
    encrypted = _encrypt_challenge("secret-challenge", registry, ours.public_key_b64)
    wrong = _public_der_b64(X25519PrivateKey.from_private_bytes(bytes([3] * 32)))
    assert (
        decrypt_challenge(encrypted, ours.private_key_b64(), _public_der_b64(registry)) == "secret-challenge"
    )
    with pytest.raises(ChallengeDecryptionError, match="did not decrypt"):
        decrypt_challenge(encrypted, ours.private_key_b64(), wrong)


@pytest.mark.parametrize(
    ("encrypted", "reason"),
    [
        ("not base64!", "not valid base64"),
        ("", "whole number"),
        (base64.b64encode(b"x" * 15).decode(), "whole number"),
    ],
)
def test_decrypt_challenge_rejects_malformed_ciphertext(encrypted: str, reason: str) -> None:
    ours = generate_keyset()
    with pytest.raises(ChallengeDecryptionError, match=reason):
        decrypt_challenge(encrypted, ours.encryption_private_key, ONDC_README_ENC_PUBLIC)


def test_decrypt_challenge_rejects_bad_keys() -> None:
    with pytest.raises(KeyFormatError, match="encryption private key"):
        decrypt_challenge(ONDC_README_CHALLENGE, "MCowBQYDK2VuAyEA", ONDC_README_ENC_PUBLIC)
    with pytest.raises(KeyFormatError, match="encryption public key"):
        decrypt_challenge(ONDC_README_CHALLENGE, ONDC_README_ENC_PRIVATE, ONDC_DOC_PUBLIC + "AAAA")


@pytest.mark.parametrize("subscriber_id", ["seller.example.org", "buyer-app.ondc.org", "a.b"])
@pytest.mark.parametrize("unique_key_id", ["UK-1", "7f3c9a1e-0d2b-4c8e-9f6a-1b2c3d4e5f60"])
def test_the_canonical_header_reads_as_the_tolerant_parser_reads_it(
    key: SigningKey, subscriber_id: str, unique_key_id: str
) -> None:
    from adapter.protocol.signing import _CANONICAL, _parse_any

    header = sign_request(b'{"context":{}}', subscriber_id=subscriber_id, unique_key_id=unique_key_id, key=key,
                          created=1700000000, expires=1700003600)
    assert _CANONICAL.fullmatch(header) is not None  # the one-match path is the one taken
    assert parse_auth_header(header) == _parse_any(header)
