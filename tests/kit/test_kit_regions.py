from app.kit.regions import (
    PREFECTURES,
    PROVINCES,
    QINGDAO_DISTRICTS,
    is_known_region,
    region_name,
)

REQUIRED_PROVINCES = {
    *("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37"),
    *("41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64"),
    *("65", "71", "81", "82"),
}


def test_all_provincial_level_codes_present() -> None:
    assert set(PROVINCES) >= REQUIRED_PROVINCES


def test_every_prefecture_belongs_to_a_province() -> None:
    assert len(PREFECTURES) >= 340
    for code in PREFECTURES:
        assert len(code) == 4
        assert code.isdigit()
        assert code[:2] in PROVINCES


def test_every_province_has_a_prefecture() -> None:
    assert {code[:2] for code in PREFECTURES} == set(PROVINCES)


def test_qingdao_districts() -> None:
    assert QINGDAO_DISTRICTS == {
        "370202": "市南区",
        "370203": "市北区",
        "370211": "黄岛区",
        "370212": "崂山区",
        "370213": "李沧区",
        "370214": "城阳区",
        "370215": "即墨区",
        "370281": "胶州市",
        "370283": "平度市",
        "370285": "莱西市",
    }
    assert all(is_known_region(code) for code in QINGDAO_DISTRICTS)
    assert region_name("370212") == "崂山区"
    assert region_name("370299") == "青岛市"
    assert region_name("110105") == "北京市市辖区"


def test_is_known_region_rejects_implausible_codes() -> None:
    assert not is_known_region("990101")
    assert not is_known_region("370000")  # province-level code, no prefecture
    assert not is_known_region("3702")
    assert not is_known_region("3702021")
    assert not is_known_region("37020a")
    assert not is_known_region("３７０２０２")
    assert region_name("990101") is None
