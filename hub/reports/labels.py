"""The words of the exported report, in Chinese (default) and English: the console's own
words (``wall_ui/i18n``) for the same figures."""

from __future__ import annotations

LANGS = ("zh-CN", "en")

_ZH = {
    "title": "考核报表",
    "period": "周期",
    "level": "层级",
    "range": "时段",
    "generated": "生成时间",
    "rank": "名次",
    "unit": "单位",
    "key": "编码",
    "ranking": "排名",
    "cases_sheet": "案件明细",
    "charts": "图表",
    "rates_chart": "结案率与按时率",
    "split_chart": "721 分级结案",
    "satisfaction_chart": "满意度",
    "case_no": "案件号",
    "category": "类别",
    "state": "状态",
    "grid_code": "网格",
    "reported_at": "上报时间",
    "closed_at": "结案时间",
    "on_time": "按时",
    "closing_tier": "结案层级",
    "rework_count": "返工次数",
    "cases": "案件数",
    "closed": "已结案",
    "closure_rate": "结案率",
    "on_time_rate": "按时率",
    "median_accept_min": "受理中位(分)",
    "median_resolve_min": "处置中位(分)",
    "rework_rate": "返工率",
    "satisfaction": "满意度",
    "rated": "评价数",
    "supervision_orders": "督办单",
    "day": "日",
    "week": "周",
    "month": "月",
    "quarter": "季度",
    "county": "区县",
    "street": "街道",
    "community": "社区",
    "grid": "网格",
    "department": "部门",
    "person": "人员",
    "tier.grid": "网格解决",
    "tier.upper_grid": "上级网格",
    "tier.enforcement": "执法部门",
    "none": "本时段无案件",
    "cases_cut": "共 {total} 条，此处列出前 {n} 条（按单位、案件号）；其余请在指挥台点击指标查看",
}
_EN = {
    "title": "Assessment report",
    "period": "Period",
    "level": "Level",
    "range": "Dates",
    "generated": "Generated",
    "rank": "Rank",
    "unit": "Unit",
    "key": "Code",
    "ranking": "Ranking",
    "cases_sheet": "Cases",
    "charts": "Charts",
    "rates_chart": "Closure and on-time rate",
    "split_chart": "721 split of closed cases",
    "satisfaction_chart": "Satisfaction",
    "case_no": "Case",
    "category": "Category",
    "state": "State",
    "grid_code": "Grid",
    "reported_at": "Reported",
    "closed_at": "Closed",
    "on_time": "On time",
    "closing_tier": "Closing tier",
    "rework_count": "Reworks",
    "cases": "Cases",
    "closed": "Closed",
    "closure_rate": "Closure rate",
    "on_time_rate": "On-time rate",
    "median_accept_min": "Median accept (min)",
    "median_resolve_min": "Median resolve (min)",
    "rework_rate": "Rework rate",
    "satisfaction": "Satisfaction",
    "rated": "Rated",
    "supervision_orders": "Supervision orders",
    "day": "day",
    "week": "week",
    "month": "month",
    "quarter": "quarter",
    "county": "county",
    "street": "street",
    "community": "community",
    "grid": "grid",
    "department": "department",
    "person": "person",
    "tier.grid": "grid",
    "tier.upper_grid": "upper grid",
    "tier.enforcement": "enforcement",
    "none": "No cases in this period",
    "cases_cut": "{total} rows: the first {n} by unit and case number; the console lists any figure's cases",
}
_TABLES = {"zh-CN": _ZH, "en": _EN}


def words(lang: str) -> dict[str, str]:
    """The label table of ``lang`` (ValueError for a language it does not have)."""
    if lang not in _TABLES:
        raise ValueError(f"lang must be one of {list(LANGS)}, got {lang!r}")
    return _TABLES[lang]


def word(table: dict[str, str], key: str) -> str:
    """A label, the key itself when the table has none (a tier the district added)."""
    return table.get(key, key.removeprefix("tier."))
