"""The city code's purpose policy is data, checked when read, and within the exchange's bounds."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.adapters.purposes import check_purpose
from app.codes import policy


def test_every_purpose_reads_only_what_the_exchange_lets_the_city_code_read() -> None:
    for purpose in policy.purposes().values():
        for department, dataset in purpose.datasets():
            check_purpose(f"city-code:{purpose.code}", department, dataset)


@pytest.mark.parametrize(
    "body",
    [
        "bar:\n  title: {zh: 酒吧, en: Bar}\n  verifiers: [client]\n  attributes: [id_number]\n",
        "gym:\n  title: {zh: 健身房, en: Gym}\n  verifiers: [person]\n  attributes: [name]\n",
        "gym:\n  title: {zh: 健身房, en: Gym}\n  verifiers: [client]\n  attributes: []\n",
        "gym:\n  title: {zh: 健身房, en: Gym}\n  verifiers: [client]\n  attributes: [name]\n"
        "  shows_everything: true\n",
    ],
    ids=["unknown attribute", "unknown verifier", "shows nothing", "unknown key"],
)
def test_a_policy_file_that_says_more_than_the_schema_is_refused(tmp_path: Path, body: str) -> None:
    path = tmp_path / "purposes.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ValueError, match="validation error"):
        policy.purposes(path)
