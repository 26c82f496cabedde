"""Benchmark of the citizen's burden: what each 秒批 service still asks of its persona.

Runs `qingeban services burden --json` in-process on a throwaway SQLite world and prints one
JSON object: per service the form's fields, how many are filled from verified sources, offered
as verified options, the applicant's own choices, the fields left to type (each with why no
department holds it), the uploads left (each with why), and the outcome when submitted as
prefilled; and the totals. Goal: 0 typed fields and 0 uploads wherever a department holds the
data, every remaining one named with its reason, all 34 approved.

    .venv/bin/python bench/burden.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.burden_commands import report  # noqa: E402


def main() -> None:
    started = time.perf_counter()
    result = report()
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["goals_met"] = {
        "every_typed_field_named": result["totals"]["typed_without_reason"] == 0,
        "every_upload_named": result["totals"]["uploads_without_reason"] == 0,
        "all_approved": result["totals"]["approved"] == result["totals"]["services"],
    }
    print(json.dumps({"benchmark": "burden", **result}, ensure_ascii=False))


if __name__ == "__main__":
    main()
