import hashlib
import hmac
import os
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.kit.crypto import (
    BlindIndex,
    DecryptionError,
    FieldCipher,
    constant_time_equals,
    derive_key,
    sha256_hex,
)

quick = settings(database=None, deadline=None)
K1, K2 = os.urandom(32), os.urandom(32)
B64URL_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@pytest.fixture
def cipher() -> FieldCipher:
    return FieldCipher({"k1": K1, "k2": K2}, active_key_id="k1")


@quick
@given(plaintext=st.text(), context=st.text())
def test_encrypt_then_decrypt_round_trips(plaintext: str, context: str) -> None:
    cipher = FieldCipher({"k1": K1}, active_key_id="k1")
    token = cipher.encrypt(plaintext, context=context)
    assert cipher.decrypt(token, context=context) == plaintext


def test_token_shape(cipher: FieldCipher) -> None:
    token = cipher.encrypt("11010519491231002X", context="person.id_number")
    assert re.fullmatch(r"k1:[A-Za-z0-9_-]+", token)
    assert cipher.key_id_of(token) == "k1"
    assert "11010519491231002X" not in token
    # 12-byte nonce + 18-byte plaintext + 16-byte tag = 46 bytes = 62 unpadded base64 chars
    assert len(token) == len("k1:") + 62


def test_encryption_is_randomised(cipher: FieldCipher) -> None:
    assert cipher.encrypt("same") != cipher.encrypt("same")


def test_wrong_context_raises(cipher: FieldCipher) -> None:
    token = cipher.encrypt("secret", context="person.id_number")
    with pytest.raises(DecryptionError):
        cipher.decrypt(token, context="person.phone")
    with pytest.raises(DecryptionError):
        cipher.decrypt(token)


def test_unknown_key_id_raises(cipher: FieldCipher) -> None:
    token = FieldCipher({"k9": K1}, active_key_id="k9").encrypt("secret")
    with pytest.raises(DecryptionError, match="unknown key id"):
        cipher.decrypt(token)


def test_token_from_another_key_with_the_same_id_raises(cipher: FieldCipher) -> None:
    token = FieldCipher({"k1": K2}, active_key_id="k1").encrypt("secret")
    with pytest.raises(DecryptionError):
        cipher.decrypt(token)


@quick
@given(plaintext=st.text(max_size=30), data=st.data())
def test_any_single_character_change_raises(plaintext: str, data: st.DataObject) -> None:
    cipher = FieldCipher({"k1": K1, "k2": K2}, active_key_id="k1")
    token = cipher.encrypt(plaintext, context="ctx")
    position = data.draw(st.integers(min_value=0, max_value=len(token) - 1))
    replacement = data.draw(
        st.sampled_from([c for c in B64URL_CHARS + ":" if c != token[position]])
    )
    tampered = token[:position] + replacement + token[position + 1 :]
    with pytest.raises(DecryptionError):
        cipher.decrypt(tampered, context="ctx")


@pytest.mark.parametrize("token", ["", "k1", "k1:", ":abc", "k1:!!!!", "k1:AAAA", "k1:AAAAA"])
def test_malformed_tokens_raise(cipher: FieldCipher, token: str) -> None:
    with pytest.raises(DecryptionError):
        cipher.decrypt(token)


def test_truncated_token_raises(cipher: FieldCipher) -> None:
    token = cipher.encrypt("secret")
    for end in (len(token) - 1, len(token) - 4, 3 + 10):
        with pytest.raises(DecryptionError):
            cipher.decrypt(token[:end])


def test_key_rotation_keeps_old_tokens_readable() -> None:
    old = FieldCipher({"k1": K1}, active_key_id="k1")
    new = FieldCipher({"k1": K1, "k2": K2}, active_key_id="k2")
    old_token = old.encrypt("value", context="c")
    new_token = new.encrypt("value", context="c")
    assert new.decrypt(old_token, context="c") == "value"
    assert (new.key_id_of(old_token), new.key_id_of(new_token)) == ("k1", "k2")
    assert new.active_key_id == "k2"
    with pytest.raises(DecryptionError):
        old.decrypt(new_token, context="c")


@pytest.mark.parametrize(
    ("keys", "active"),
    [
        ({"k1": K1}, "k2"),
        ({"k1": b"short"}, "k1"),
        ({"k1": K1 + b"x"}, "k1"),
        ({"a:b": K1}, "a:b"),
        ({"": K1}, ""),
    ],
)
def test_cipher_rejects_bad_configuration(keys: dict[str, bytes], active: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 -- any configuration error will do
        FieldCipher(keys, active_key_id=active)


def test_blind_index_is_deterministic_and_normalised() -> None:
    index = BlindIndex(K1)
    digest = index.compute("11010519491231002X")
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert index.compute(" 11010519491231002x\n") == digest
    assert BlindIndex(K1).compute("11010519491231002X") == digest
    assert digest == hmac.new(K1, b"11010519491231002X", hashlib.sha256).hexdigest()


def test_blind_index_differs_across_keys_and_values() -> None:
    assert BlindIndex(K1).compute("value") != BlindIndex(K2).compute("value")
    assert BlindIndex(K1).compute("value") != BlindIndex(K1).compute("value2")


def test_blind_index_matches() -> None:
    index = BlindIndex(K1)
    digest = index.compute("13812345678")
    assert index.matches(" 13812345678 ", digest)
    assert not index.matches("13812345679", digest)
    assert not BlindIndex(K2).matches("13812345678", digest)
    assert not index.matches("13812345678", "不是摘要")


def test_blind_index_rejects_short_key() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        BlindIndex(b"too short")


def _reference_hkdf(secret: bytes, info: bytes) -> bytes:
    prk = hmac.new(b"\x00" * 32, secret, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


def test_derive_key_is_hkdf_sha256() -> None:
    key = derive_key("configured secret", "field-encryption")
    assert len(key) == 32
    assert key == _reference_hkdf(b"configured secret", b"field-encryption")
    assert key == derive_key("configured secret", "field-encryption")
    assert key != derive_key("configured secret", "blind-index")
    assert key != derive_key("other secret", "field-encryption")


def test_derive_key_rejects_empty_inputs() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        derive_key("", "blind-index")
    with pytest.raises(ValueError, match="non-empty"):
        derive_key("secret", "")


def test_derived_keys_work_end_to_end() -> None:
    secret = "one configured secret"
    cipher = FieldCipher({"v1": derive_key(secret, "field-encryption")}, active_key_id="v1")
    index = BlindIndex(derive_key(secret, "blind-index"))
    assert cipher.decrypt(cipher.encrypt("张三")) == "张三"
    assert index.matches("张三", index.compute("张三"))


def test_sha256_hex() -> None:
    assert sha256_hex(b"abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_constant_time_equals() -> None:
    assert constant_time_equals("abc", "abc")
    assert not constant_time_equals("abc", "abd")
    assert not constant_time_equals("abc", "abcd")
    assert constant_time_equals("张三", "张三")
    assert not constant_time_equals("张三", "张四")
