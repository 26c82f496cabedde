import base64
import contextlib
import gzip
import random
import tracemalloc
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.kit.encoding import b64url_encode
from app.kit.status_list import (
    DEFAULT_SIZE,
    MAX_LIST_BYTES,
    MIN_SIZE,
    StatusBitstring,
    StatusEntry,
    StatusListError,
    StatusListFull,
    allocate_index,
    parse_status_entry,
    status_list_credential_subject,
    status_list_entry,
    status_of,
)

quick = settings(database=None, deadline=None)
LIST_URL = "https://licenses.qingdao.gov.cn/status/revocation/7"
MIN_BYTES = MIN_SIZE // 8

index_st = st.integers(min_value=0, max_value=DEFAULT_SIZE - 1)
index_sets = st.sets(index_st, max_size=200)


def encoded_from_raw(raw: bytes) -> str:
    return "u" + b64url_encode(gzip.compress(raw, mtime=0))


def stdlib_bit(encoded: str, index: int) -> bool:
    """Read a bit the way a third-party verifier would, with nothing but the stdlib."""
    assert encoded[0] == "u"
    text = encoded[1:]
    raw = gzip.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    return bool((raw[index // 8] >> (7 - index % 8)) & 1)


# Bit order: index 0 is the left-most bit, the most significant bit of byte 0.


@pytest.mark.parametrize(
    ("index", "byte_index", "byte"),
    [(0, 0, 0x80), (1, 0, 0x40), (7, 0, 0x01), (8, 1, 0x80), (15, 1, 0x01), (131_071, -1, 0x01)],
)
def test_bit_order_matches_the_spec(index: int, byte_index: int, byte: int) -> None:
    bits = StatusBitstring()
    bits.set(index)
    raw = bits.to_bytes()
    assert len(raw) == MIN_BYTES
    assert raw[byte_index] == byte
    assert sum(raw) == byte
    assert list(bits.indexes()) == [index]


def test_hand_computed_bytes() -> None:
    bits = StatusBitstring.from_indexes([0, 7, 8, 10, 23])
    assert bits.to_bytes()[:4] == bytes([0b1000_0001, 0b1010_0000, 0b0000_0001, 0])


def test_set_get_clear() -> None:
    bits = StatusBitstring()
    assert bits.size == DEFAULT_SIZE == 131_072
    assert not bits.get(42)
    bits.set(42)
    bits.set(43)
    assert bits.get(42)
    bits.clear(42)
    assert not bits.get(42)
    assert bits.get(43)
    bits.set(43, False)
    assert bits == StatusBitstring()


@pytest.mark.parametrize("index", [-1, -131_072, DEFAULT_SIZE, 10**30])
def test_out_of_range_indexes_are_refused_not_wrapped(index: int) -> None:
    bits = StatusBitstring()
    for operation in (bits.get, bits.set, bits.clear):
        with pytest.raises(StatusListError) as excinfo:
            operation(index)
        assert excinfo.value.reason == "range"


@pytest.mark.parametrize("size", [0, 8, MIN_SIZE - 8, MIN_SIZE + 1, MAX_LIST_BYTES * 8 + 8])
def test_bad_sizes_are_refused(size: int) -> None:
    with pytest.raises(StatusListError):
        StatusBitstring(size)


def test_larger_lists_are_allowed() -> None:
    bits = StatusBitstring(MIN_SIZE * 4)
    bits.set(MIN_SIZE * 4 - 1)
    assert StatusBitstring.decode(bits.encode()).get(MIN_SIZE * 4 - 1)


# Encoding.


@quick
@given(indexes=index_sets)
def test_encode_then_decode_round_trips(indexes: set[int]) -> None:
    bits = StatusBitstring.from_indexes(indexes)
    encoded = bits.encode()
    decoded = StatusBitstring.decode(encoded)
    assert decoded == bits
    assert set(decoded.indexes()) == indexes


@quick
@given(indexes=index_sets)
def test_encoding_is_deterministic(indexes: set[int]) -> None:
    first = StatusBitstring.from_indexes(indexes).encode()
    second = StatusBitstring.from_indexes(sorted(indexes, reverse=True)).encode()
    assert first == second


@quick
@given(indexes=st.sets(index_st, min_size=1, max_size=50), data=st.data())
def test_stdlib_decode_agrees_with_status_of(indexes: set[int], data: st.DataObject) -> None:
    encoded = StatusBitstring.from_indexes(indexes).encode()
    probes = [*indexes, *data.draw(st.lists(index_st, max_size=20))]
    for index in probes:
        entry = status_list_entry(LIST_URL, index, "revocation")
        assert status_of(entry, encoded) is stdlib_bit(encoded, index) is (index in indexes)


def test_encoded_list_shape() -> None:
    encoded = StatusBitstring.from_indexes([5, 94_567]).encode()
    assert encoded.startswith("u")
    assert "=" not in encoded
    assert set(encoded[1:]) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )
    compressed = base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
    assert compressed[:2] == b"\x1f\x8b"  # GZIP magic
    assert compressed[4:8] == b"\0\0\0\0"  # mtime 0


def test_all_zero_list_is_short() -> None:
    encoded = StatusBitstring().encode()
    print(f"all-zero {MIN_SIZE}-bit encodedList: {len(encoded)} characters")
    assert len(encoded) < 100
    assert StatusBitstring.decode(encoded) == StatusBitstring()


def test_decode_accepts_lists_from_other_gzip_encoders() -> None:
    raw = bytearray(MIN_BYTES)
    raw[1] = 0x80
    compressor = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    encoded = "u" + b64url_encode(compressor.compress(bytes(raw)) + compressor.flush())
    assert list(StatusBitstring.decode(encoded).indexes()) == [8]


# Decoding refuses bad input with the module's error, never a raw zlib or binascii error.


@pytest.mark.parametrize("raw_length", [0, 1, MIN_BYTES - 1])
def test_minimum_length_is_enforced(raw_length: int) -> None:
    with pytest.raises(StatusListError) as excinfo:
        StatusBitstring.decode(encoded_from_raw(bytes(raw_length)))
    assert excinfo.value.reason == "too_short"
    assert StatusBitstring.decode(encoded_from_raw(bytes(MIN_BYTES))).size == MIN_SIZE


@pytest.mark.parametrize(
    "prefix", ["", "m", "U", "z", "f", "M", " u"], ids=["none", "m", "U", "z", "f", "M", "space"]
)
def test_wrong_multibase_prefix_is_refused(prefix: str) -> None:
    body = StatusBitstring().encode()[1:]
    with pytest.raises(StatusListError) as excinfo:
        StatusBitstring.decode(prefix + body)
    assert excinfo.value.reason == "prefix"


def test_empty_and_non_string_input_is_refused() -> None:
    for value in ["", b"u", None]:
        with pytest.raises(StatusListError) as excinfo:
            StatusBitstring.decode(value)  # type: ignore[arg-type]
        assert excinfo.value.reason == "prefix"


@pytest.mark.parametrize(
    "body",
    ["H4sI+AAA", "H4sI/AAA", "H4sIAA==", "H4sIA", "H4s IAAA", "H4sIAAAA\n", "é"],
)
def test_corrupt_base64_is_refused(body: str) -> None:
    with pytest.raises(StatusListError) as excinfo:
        StatusBitstring.decode("u" + body)
    assert excinfo.value.reason == "base64"


def test_corrupt_gzip_is_refused() -> None:
    good = gzip.compress(bytes(MIN_BYTES), mtime=0)
    crc_broken = good[:-8] + bytes([good[-8] ^ 1]) + good[-7:]
    length_broken = good[:-1] + bytes([good[-1] ^ 1])
    cases = {
        "not gzip": b"plain text, not compressed",
        "zlib not gzip": zlib.compress(bytes(MIN_BYTES)),
        "truncated": good[:-4],
        "header only": good[:10],
        "bad crc": crc_broken,
        "bad length": length_broken,
        "trailing garbage": good + b"\0",
        "two members": good + good,
        "empty": b"",
    }
    for name, compressed in cases.items():
        with pytest.raises(StatusListError) as excinfo:
            StatusBitstring.decode("u" + b64url_encode(compressed))
        assert excinfo.value.reason == "gzip", name


@quick
@given(text=st.text(max_size=200))
def test_arbitrary_text_fails_only_with_the_module_error(text: str) -> None:
    for candidate in (text, "u" + text):
        with contextlib.suppress(StatusListError):
            StatusBitstring.decode(candidate)


@quick
@given(blob=st.binary(max_size=300), position=st.integers(min_value=0), flip=st.integers(1, 255))
def test_arbitrary_and_mutated_bytes_fail_only_with_the_module_error(
    blob: bytes, position: int, flip: int
) -> None:
    good = bytearray(gzip.compress(bytes(MIN_BYTES), mtime=0))
    good[position % len(good)] ^= flip
    for compressed in (blob, bytes(good)):
        with contextlib.suppress(StatusListError):
            StatusBitstring.decode("u" + b64url_encode(compressed))


# The decompression-bomb guard.


def test_list_at_the_cap_decodes_and_one_byte_more_is_refused() -> None:
    assert (
        StatusBitstring.decode(encoded_from_raw(bytes(MAX_LIST_BYTES))).size == MAX_LIST_BYTES * 8
    )
    with pytest.raises(StatusListError) as excinfo:
        StatusBitstring.decode(encoded_from_raw(bytes(MAX_LIST_BYTES + 1)))
    assert excinfo.value.reason == "too_large"


def test_bomb_is_refused_without_inflating_it() -> None:
    # 256 MiB of zeros compress to about 256 KiB; decoding must stop at the cap.
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(1024 * 1024)
    compressed = b"".join(compressor.compress(chunk) for _ in range(256)) + compressor.flush()
    encoded = "u" + b64url_encode(compressed)
    assert len(encoded) < 400_000
    cap = 1024 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(StatusListError) as excinfo:
            StatusBitstring.decode(encoded, max_bytes=cap)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert excinfo.value.reason == "too_large"
    assert peak < 4 * cap


# Random index allocation.


@quick
@given(used=st.sets(st.integers(min_value=0, max_value=63), max_size=63), seed=st.integers())
def test_allocator_never_returns_a_used_index(used: set[int], seed: int) -> None:
    index = allocate_index(used, 64, rng=random.Random(seed))
    assert 0 <= index < 64
    assert index not in used


@pytest.mark.parametrize("size", [1, 2, 7, 100, 1000])
def test_allocator_covers_the_space_then_reports_full(size: int) -> None:
    rng = random.Random(size)
    used: set[int] = set()
    for _ in range(size):
        index = allocate_index(used, size, rng=rng)
        assert index not in used
        used.add(index)
    assert used == set(range(size))
    with pytest.raises(StatusListFull):
        allocate_index(used, size, rng=rng)


def test_allocator_stays_fast_when_nearly_full() -> None:
    used = set(range(DEFAULT_SIZE)) - {12_345}
    assert allocate_index(used, rng=random.Random(1)) == 12_345
    with pytest.raises(StatusListFull):
        allocate_index(set(range(DEFAULT_SIZE)))


def test_allocator_ignores_used_values_outside_the_range() -> None:
    assert allocate_index({-1, 1, 5, 10**9}, 2, rng=random.Random(0)) == 0


def test_allocator_is_roughly_uniform_and_not_sequential() -> None:
    rng = random.Random(2024)
    size = 16
    counts = [0] * size
    for _ in range(16_000):
        counts[allocate_index({3}, size, rng=rng)] += 1
    assert counts[3] == 0
    assert all(800 < count < 1350 for i, count in enumerate(counts) if i != 3)
    # The default uses the system CSPRNG: consecutive allocations are not in issuance order.
    used: set[int] = set()
    for _ in range(20):
        used.add(allocate_index(used))
    assert used != set(range(20))


def test_allocator_rejects_an_empty_range() -> None:
    with pytest.raises(ValueError, match="positive"):
        allocate_index(set(), 0)


# JSON structures.


def test_status_list_entry_shape() -> None:
    assert status_list_entry(LIST_URL, 94_567, "revocation") == {
        "id": f"{LIST_URL}#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": LIST_URL,
    }
    assert status_list_entry(LIST_URL, 0, "suspension")["statusPurpose"] == "suspension"


@pytest.mark.parametrize(
    ("url", "index", "purpose"),
    [
        (LIST_URL + "#frag", 1, "revocation"),
        ("status/7", 1, "revocation"),
        ("https://x.example/a b", 1, "revocation"),
        (LIST_URL, -1, "revocation"),
        (LIST_URL, DEFAULT_SIZE, "revocation"),
        (LIST_URL, 1, "message"),
        (LIST_URL, 1, "Revocation"),
    ],
)
def test_status_list_entry_rejects_bad_input(url: str, index: int, purpose: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        status_list_entry(url, index, purpose)  # type: ignore[arg-type]


def test_credential_subject_shape() -> None:
    encoded = StatusBitstring.from_indexes([1]).encode()
    assert status_list_credential_subject(LIST_URL, "suspension", encoded) == {
        "id": f"{LIST_URL}#list",
        "type": "BitstringStatusList",
        "statusPurpose": "suspension",
        "encodedList": encoded,
    }
    with pytest.raises(StatusListError):
        status_list_credential_subject(LIST_URL, "revocation", encoded_from_raw(bytes(16)))
    with pytest.raises(ValueError, match="purpose"):
        status_list_credential_subject(LIST_URL, "refresh", encoded)  # type: ignore[arg-type]


# The offline verifier's check.


def test_status_of_reads_the_bit() -> None:
    encoded = StatusBitstring.from_indexes([94_567]).encode()
    revoked = status_list_entry(LIST_URL, 94_567, "revocation")
    fine = status_list_entry(LIST_URL, 94_568, "revocation")
    assert status_of(revoked, encoded) is True
    assert status_of(fine, encoded) is False
    assert status_of(revoked, encoded, list_purpose="revocation") is True
    with pytest.raises(StatusListError) as excinfo:
        status_of(revoked, encoded, list_purpose="suspension")
    assert excinfo.value.reason == "entry"


def test_status_of_refuses_an_index_beyond_the_list() -> None:
    encoded = StatusBitstring().encode()
    entry = status_list_entry(LIST_URL, 5, "revocation", size=MIN_SIZE * 2)
    entry = {**entry, "statusListIndex": str(MIN_SIZE)}
    with pytest.raises(StatusListError) as excinfo:
        status_of(entry, encoded)
    assert excinfo.value.reason == "range"


def test_status_of_refuses_a_short_list() -> None:
    entry = status_list_entry(LIST_URL, 5, "revocation")
    with pytest.raises(StatusListError) as excinfo:
        status_of(entry, encoded_from_raw(bytes(MIN_BYTES // 2)))
    assert excinfo.value.reason == "too_short"


def test_parse_status_entry() -> None:
    entry = status_list_entry(LIST_URL, 42, "suspension")
    assert parse_status_entry(entry) == StatusEntry(LIST_URL, 42, "suspension")
    assert parse_status_entry({**entry, "statusSize": 1}).index == 42


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("type", "StatusList2021Entry"),
        ("type", None),
        ("statusPurpose", "message"),
        ("statusPurpose", None),
        ("statusListIndex", 42),
        ("statusListIndex", "-1"),
        ("statusListIndex", "+42"),
        ("statusListIndex", "042"),
        ("statusListIndex", " 42"),
        ("statusListIndex", "4_2"),
        ("statusListIndex", "٤٢"),  # Arabic-Indic digits, which int() would accept
        ("statusListIndex", "9" * 5000),
        ("statusListIndex", ""),
        ("statusListCredential", None),
        ("statusListCredential", "not a url"),
        ("statusListCredential", LIST_URL + "#list"),
        ("statusSize", 2),
        ("statusSize", True),
        ("statusSize", "1"),
    ],
)
def test_malformed_entries_are_refused(field: str, value: object) -> None:
    entry: dict[str, object] = dict(status_list_entry(LIST_URL, 42, "revocation"))
    if value is None:
        del entry[field]
    else:
        entry[field] = value
    encoded = StatusBitstring.from_indexes([42]).encode()
    with pytest.raises(StatusListError) as excinfo:
        status_of(entry, encoded)
    assert excinfo.value.reason == "entry"


def test_non_mapping_entry_is_refused() -> None:
    with pytest.raises(StatusListError):
        parse_status_entry(["BitstringStatusListEntry"])  # type: ignore[arg-type]
