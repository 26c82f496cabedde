"""The JSON log line: its fields as the standard library would write them, by either encoder."""

from __future__ import annotations

import json
import logging
import math
from datetime import UTC, datetime

import pytest

from app.ops.logging import JsonFormatter, request_id_var


def _record(created: float, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("qingeban.http", logging.INFO, __file__, 1, "request", None, None)
    record.created = created
    for name, value in extra.items():
        setattr(record, name, value)
    return record


@pytest.mark.parametrize(
    "created",
    [
        1_765_058_407.0,
        1_765_058_407.123,
        1_765_058_407.9995,  # rounds up to the next millisecond's microsecond, then is cut
        1_765_058_407.9999996,  # rounds into the next second
        1_745_731_355.5609994,  # rounded as a whole it would be .561; datetime says .560
        1_880_620_135.0999994,
        0.0,
    ],
)
def test_the_time_is_datetimes_to_the_millisecond(created: float) -> None:
    formatter = JsonFormatter()
    formatter.format(_record(created - 1.5))  # another second formatted before
    entry = json.loads(formatter.format(_record(created)))
    assert entry["time"] == datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")


def test_an_access_line_has_its_fields_and_the_request_id() -> None:
    token = request_id_var.set("req-1")
    try:
        line = JsonFormatter().format(
            _record(1_765_058_407.25, method="POST", route="/oauth/token", status=200,
                    duration_ms=1.23, cached=True, note=None)
        )  # fmt: skip
    finally:
        request_id_var.reset(token)
    assert json.loads(line) == {
        "time": "2025-12-06T22:00:07.250+00:00", "level": "INFO", "logger": "qingeban.http",
        "message": "request", "request_id": "req-1", "method": "POST", "route": "/oauth/token",
        "status": 200, "duration_ms": 1.23, "cached": True, "note": None,
    }  # fmt: skip


def test_other_values_are_written_as_the_standard_library_writes_them() -> None:
    when = datetime(2026, 12, 6, 21, 50, tzinfo=UTC)
    line = JsonFormatter().format(
        _record(1_765_058_407.0, at=when, big=2**70, ratio=math.nan, names=["张三"])
    )
    assert '"at":"2026-12-06 21:50:00+00:00"' in line  # str(datetime), not ISO
    assert '"big":1180591620717411303424' in line
    assert '"ratio":NaN' in line
    assert '"names":["张三"]' in line
