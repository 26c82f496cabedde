"""The ten county-level divisions of Qingdao (GB/T 2260 codes)."""

from __future__ import annotations

from app.services.catalog.data.seeds import DistrictSeed

DISTRICTS: tuple[DistrictSeed, ...] = (
    DistrictSeed("370202", "市南区", "Shinan District"),
    DistrictSeed("370203", "市北区", "Shibei District"),
    DistrictSeed("370211", "黄岛区", "Huangdao District"),
    DistrictSeed("370212", "崂山区", "Laoshan District"),
    DistrictSeed("370213", "李沧区", "Licang District"),
    DistrictSeed("370214", "城阳区", "Chengyang District"),
    DistrictSeed("370215", "即墨区", "Jimo District"),
    DistrictSeed("370281", "胶州市", "Jiaozhou City"),
    DistrictSeed("370283", "平度市", "Pingdu City"),
    DistrictSeed("370285", "莱西市", "Laixi City"),
)
