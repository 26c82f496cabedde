"""`LicenseIdSeries.make_run`: a run of first versions, as `make_license_id` numbers them."""

import pytest

from app.kit.license_id import MAX_SERIAL, LicenseIdSeries, make_license_id
from app.kit.uscc import make_uscc

TYPE_CODE = "370200ZZ0001"
ISSUER = make_uscc("1", "1", "370202", "MB0000001")


@pytest.mark.parametrize(
    ("first", "count"),
    [
        (0, 0),
        (0, 1),
        (1, 2500),
        (998, 5),
        (999_999, 3),
        (5, 1000),
        (1000, 1000),
        (MAX_SERIAL - 2, 3),
    ],
)
def test_a_run_is_numbered_as_one_by_one(first: int, count: int) -> None:
    run = LicenseIdSeries(TYPE_CODE, ISSUER).make_run(first, count)
    assert run == [
        make_license_id(TYPE_CODE, ISSUER, serial) for serial in range(first, first + count)
    ]


@pytest.mark.parametrize(("first", "count"), [(-1, 2), (MAX_SERIAL, 2), (0, -1)])
def test_a_run_beyond_the_serials_is_refused(first: int, count: int) -> None:
    with pytest.raises(ValueError, match="serials must be within"):
        LicenseIdSeries(TYPE_CODE, ISSUER).make_run(first, count)
