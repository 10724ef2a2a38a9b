"""Department name → canonical district."""

from __future__ import annotations

import pytest

from indexer.districts import UnknownDistrictError, district_of
from indexer.records import DISTRICTS


@pytest.mark.parametrize(
    ("department", "district"),
    [
        ("广州市商务局", "广州市"),
        ("广州南沙经济技术开发区商务局", "南沙区"),
        ("广州市荔湾区商务和投资促进局", "荔湾区"),
        ("广州市花都区科技工业商务和信息化局", "花都区"),
        ("广州市天河区商务和金融工作局", "天河区"),
        ("广州市黄埔区商务局", "黄埔区"),
        ("深圳市福田区商务局", "福田区"),
        ("佛山市南海区经济促进局", "南海区"),
        ("清远市连山壮族瑶族自治县商务局", "连山壮族瑶族自治县"),
        ("清远市阳山县商务局", "阳山县"),
        ("深圳市商务局", "深圳市"),
    ],
)
def test_district_of(department: str, district: str) -> None:
    assert district_of(department) == district


def test_seed_departments_map_to_the_canonical_districts() -> None:
    seeds = [
        "广州市商务局",
        "广州南沙经济技术开发区商务局",
        "广州市荔湾区商务和投资促进局",
        "广州市花都区科技工业商务和信息化局",
        "广州市天河区商务和金融工作局",
    ]
    assert tuple(district_of(d) for d in seeds) == DISTRICTS


@pytest.mark.parametrize("department", ["商务工作组", "", "某某局"])
def test_unknown_department_is_an_error(department: str) -> None:
    with pytest.raises(UnknownDistrictError, match="cannot tell the district"):
        district_of(department)
