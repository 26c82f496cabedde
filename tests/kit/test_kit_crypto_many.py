"""`FieldCipher.encrypt_many`: tokens as `encrypt` writes them, for many values at once."""

import os

import pytest

from app.kit.crypto import DecryptionError, FieldCipher
from app.kit.encoding import b64url_decode, b64url_encode


def test_each_token_opens_to_its_value_and_is_canonical_base64url() -> None:
    cipher = FieldCipher({"k1": os.urandom(32)}, "k1")
    values = ["", "a", "ab", "abc", "110101199003077777", '{"名称":"青岛"}', "x" * 1000]
    tokens = cipher.encrypt_many([value.encode() for value in values], context="t.c")
    assert [cipher.decrypt(token, context="t.c") for token in tokens] == values
    for token in tokens:
        key_id, _, body = token.partition(":")
        assert key_id == "k1"
        assert b64url_encode(b64url_decode(body)) == body
    nonces = {b64url_decode(token[3:])[:12] for token in tokens}
    assert len(nonces) == len(values), "a nonce of its own each"
    with pytest.raises(DecryptionError):
        cipher.decrypt(tokens[1], context="t.other")
