"""Region and budget year of the real national forms as read from their renderings: the national
interpreter enriches each form from its own titles and period, then the document's head lines
(what ``read_source`` adds for every layout) fill in what is still unknown."""

from __future__ import annotations

import pytest
from readers_support import rendering_cases, renderings

from indexer.enrich import enrich_table, head_lines
from indexer.layouts.national_form import NationalFormInterpreter
from indexer.readers import read_document

__all__ = ["renderings"]  # the session fixture, imported for pytest

# (province, city, county, year) per form, checked by hand against each fixture's README row.
# None where the form does not print it: 青山区 alone is in 武汉 and in 包头 (bogai), the
# department is 区卫生健康局 (zhaohua) or redacted (tj-qcgw); the 河北区 court's grid and
# 临海's page carry no year; 甘孜's food-safety table has none either.
EXPECTED = {
    "ah-bozhou-qxj-2023": ("安徽省", "亳州市", None, 2023),
    "ah-huaibei-wlt-ncwh-2025": ("安徽省", "淮北市", None, 2025),
    "ah-jinan-tyj-2025": ("安徽省", "六安市", "金安区", 2025),
    "ah-jinzhai-kfq-2021": ("安徽省", "六安市", "金寨县", 2021),
    "ah-luan-nyncj-zjtx-2024": ("安徽省", "六安市", None, 2024),
    "ah-mengcheng-wjw-2024": ("安徽省", "亳州市", "蒙城县", 2024),
    "hb-ningjin-gzzxj-2019-pj": ("河北省", "邢台市", "宁晋县", 2019),
    "jx-fuliang-lyj-2026": ("江西省", "景德镇市", "浮梁县", None),  # the sheet prints no year
    "s-gansu-jiayuguan-bowuguan-2023": ("甘肃省", "嘉峪关市", None, 2023),
    "s-hainan-huizhan-jiangli": (None, None, None, None),  # 省商务厅, no year printed
    "s-yunnan-nanhua-yejunjun": ("云南省", "楚雄彝族自治州", "南华县", None),
    "nm-wuhai-gxs-zszy-2021": ("内蒙古自治区", "乌海市", None, 2021),
    "s-xinjiang-bingtuan6tuan-baoxianku-2021": ("新疆维吾尔自治区", None, "阿拉尔市", None),  # none printed
    "s-chongqing-fengjie-yunwu-2023": ("重庆市", "重庆市", "奉节县", 2023),
    "s-hubei-qingshan-bogai-2020": (None, None, None, 2020),
    "s-hubei-qingshan-jichusheshi-2020": ("湖北省", "武汉市", "青山区", 2020),
    "s-hunan-nanyue-lvyou-2018": ("湖南省", "衡阳市", "南岳区", 2018),
    "s-hunan-nanyue-zichan-2018": ("湖南省", "衡阳市", "南岳区", 2018),
    "s-hunan-xiangtan-wupao-2023": ("湖南省", "湘潭市", None, 2023),
    "s-hunan-xiangtan-wupao-2024": ("湖南省", "湘潭市", None, 2024),
    "s-hunan-yueyang-gbnt-2022": ("湖南省", "岳阳市", "岳阳县", 2022),
    "s-ningxia-yuanzhou-hanyanglin-2022": ("宁夏回族自治区", "固原市", "原州区", 2022),
    "s-shaanxi-hanyin-puhui-2022": ("陕西省", "安康市", "汉阴县", 2022),
    "s-sichuan-ganzi-shijian-food": ("四川省", "甘孜藏族自治州", None, None),
    "s-sichuan-zhaohua-tekun-2021": (None, None, None, 2021),
    "s-yunnan-yongde-yingyang-2022": ("云南省", "临沧市", "永德县", 2022),
    "sd-linyi-sfxx-2025": ("山东省", "德州市", "临邑县", 2025),
    "sx-lvliang-hgpx-2021-pj": ("山西省", "吕梁市", None, 2021),
    "tj-baodi-xqfw-2022": ("天津市", "天津市", "宝坻区", 2022),
    "tj-hbq-fy-2023": ("天津市", "天津市", "河北区", None),
    "tj-qcgw-kyzq-hw-2020": (None, None, None, 2020),
    "zj-linhai-lhyh": ("浙江省", "台州市", "临海市", None),
}
CASES = [
    (stem, fmt) for stem, fmt in rendering_cases() if stem in EXPECTED and fmt in ("xlsx", "docx", "html")
]


def test_cases_cover_every_form():
    assert {stem for stem, _ in CASES} == set(EXPECTED)


@pytest.mark.parametrize(("stem", "fmt"), CASES)
def test_national_forms_get_their_region_and_year(renderings, stem, fmt):
    path = renderings[stem][fmt]
    document = read_document(path.read_bytes(), path.name)
    table = enrich_table(NationalFormInterpreter().interpret(document), head_lines(document))
    got = {(p.province, p.city, p.county, p.budget_year) for p in table.projects}
    assert got == {EXPECTED[stem]}
