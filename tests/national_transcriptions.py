"""What the real forms added in session 14/ingest3 hold, as transcribed (tests/fixtures/national/source,
URL in each file): no rows of these sources are in eval/external, so the tests compare the parsed
records with these lists. Per form: (project name, 资金总额 as printed or None, department, province,
year, [(indicator, value, level-1, code)])."""

from __future__ import annotations

FORMS: dict[str, tuple[str, str | None, str, str | None, int | None, list[tuple]]] = {
    "fj-tailian-fpjk-2017": (  # old framework: 投入/产出 | 成本目标/数量目标, value 全年绩效目标
        "台胞扶贫济困生活补贴、涉台联络专项经费及调研培训费", None, "福建省台湾同胞联谊会", "福建省", 2017,
        [
            ("发放省直困难、高龄台胞", "按实际情况发放", "产出", "14"),
            ("开展丰收节活动、夏令营活动、台胞技能培训、定居台胞困难大学生助学金", "100%", "产出", "14"),
            (
                "困难台胞、高龄台胞困难补助受益",
                "困难台胞432人、高龄台胞1792人、困难学生助学95人、困难台胞技能培训91人",
                "产出",
                "11",
            ),
            ("争取台湾民心、增进乡情", "开展丰收节活动1次、夏令营活动1次、台胞技能培训2期", "产出", "11"),
            ("困难台胞助学款", None, "产出", "11"),  # cut by the page: no target
        ],
    ),
    "hb-ezhou-jgsw-2022": (  # 一级指标 column holding the level-2 labels, 二级指标 the indicators
        "滨湖大胆办公大楼运行保障", None, "", "湖北省", 2022,
        [
            ("办公大楼日常维修维护次数", "2280次", "产出", "11"),
            ("大楼安检巡察次数", "200次", "产出", "11"),
            ("办公大楼日常维修维护验收合格率", ">92%", "产出", "12"),
            ("经常性大型设备更新验收合格率", "292%", "产出", "12"),
            ("重.要设备维修维保验收合格率", "95%", "产出", "12"),
            ("成本控制率", "不超预算", "产出", "14"),
            ("水电气消耗下降率", None, "产出", "14"),  # cut after its ">"
        ],
    ),
    "hn-yylq-jgrd-2023-zt": (  # whole-department form: no project, named after the department
        "岳阳楼区价格认证鉴定中心整体支出", None, "岳阳楼区价格认证鉴定中心", "湖南省", 2023,
        [
            ("业务工作支出安排金额", "28.8万元", "产出", "11"),  # unit column says %, not joined
            ("业务工作支出到位率", "100%", "产出", "12"),
            ("工作安排时间", "按月安排", "产出", "13"),
            ("社会成本指标", "100%", "成本", "42"),  # no 三级 printed: the level-2 names it
            ("保证单位正常运转", "应保尽保", "效益", "22"),
        ],
    ),
    "sc-zhongjiang-slj-2022-pj": (  # self-evaluation: 分值 before 年度指标值, 全年实际值 after it
        "中江县农业水价综合改革精准补贴和节水奖励项目小型水库水标尺制作安装",
        "20", "中江县水利局", "四川省", 2022,
        [
            ("安装坡面水标尺", "≥266米", "产出", "11"),
            ("水标尺宽度", "≥50厘米", "产出", "11"),
            ("项目(工程)验收合格率", "100%", "产出", "12"),
            ("及时(按期)开工率", "≥90%", "产出", "13"),
            ("及时(按期)完工率", "≥90%", "产出", "13"),
            ("项目计划总投资", "20万元", "产出", "14"),
            ("受益脱贫(含监测对象)户人口数", "≥1000人", "效益", "22"),
            ("群众生产生活条件改善状况", "显著提升", "效益", "22"),
            ("受益脱贫(含监测对象)户满意度", "≥95%", "满意度", "31"),
        ],  # the …… placeholder row is no indicator
    ),
}  # fmt: skip
