"""Evidence tables for the tushare STAND-IN (support.tushare_standin): `anns_d`, `news`, `fina_indicator_vip`.

Rows in tushare's own columns and formats (YYYYMMDD dates, "YYYY-MM-DD HH:MM:SS" times), placed around
DAY's 09:00 cutoff so a test can tell what each decision day may see:

| row                                   | published                      | seen by DAY's experts |
|---------------------------------------|--------------------------------|-----------------------|
| 600000.SH dividend notice (twice)     | rec_time 2024-05-03 17:30      | yes (kept once)       |
| 600000.SH board resolution            | rec_time 2024-05-06 07:45      | yes                   |
| 600000.SH clarification               | rec_time 2024-05-06 18:00      | no (DAY+1 on)         |
| 000001.SZ buyback, no rec_time        | ann_date 2024-05-05 → 23:59:59 | yes                   |
| 00700.HK row                          | —                              | not an A-share: skipped |
| sina news                             | 2024-05-05 20:00               | yes (market-wide)     |
| sina news                             | 2024-05-06 10:30               | no                    |
| wallstreetcn news                     | 2024-05-05 21:00               | only if src asked     |
| 600000.SH Q1 indicators               | ann_date 2024-05-03            | yes                   |
| 600000.SH annual indicators           | ann_date 2024-05-06 (= DAY)    | no: no time of day    |
"""

from __future__ import annotations

from datetime import date

import pandas as pd

DAY = date(2024, 5, 6)
FIRST = date(2024, 5, 3)  # fetch FIRST … DAY
Q1 = {"roe": 2.3145, "eps": 0.66, "netprofit_yoy": -1.52, "debt_to_assets": 91.8}

ANNOUNCEMENTS = [
    (
        "20240503",
        "600000.SH",
        "浦发银行",
        "浦发银行2023年年度权益分派实施公告",
        "https://x/1.pdf",
        "2024-05-03 17:30:00",
    ),
    (
        "20240503",
        "600000.SH",
        "浦发银行",
        "浦发银行2023年年度权益分派实施公告",
        "https://x/1.pdf",
        "2024-05-03 17:30:00",
    ),
    ("20240506", "600000.SH", "浦发银行", "浦发银行董事会决议公告", "https://x/2.pdf", "2024-05-06 07:45:00"),
    ("20240506", "600000.SH", "浦发银行", "浦发银行澄清公告", "https://x/3.pdf", "2024-05-06 18:00:00"),
    ("20240505", "000001.SZ", "平安银行", "平安银行关于回购股份的公告", "https://x/4.pdf", None),
    ("20240505", "00700.HK", "腾讯控股", "港股公告", "https://x/5.pdf", "2024-05-05 08:00:00"),
]
NEWS = [
    ("2024-05-05 20:00:00", "央行：保持流动性合理充裕。", "央行：保持流动性合理充裕", "宏观", "sina"),
    ("2024-05-06 10:30:00", "午间快讯：沪指震荡。", "午间快讯", "A股", "sina"),
    ("2024-05-05 21:00:00", "美股收盘。", "美股收盘", "海外", "wallstreetcn"),
]
INDICATORS = [
    {"ts_code": "600000.SH", "ann_date": "20240503", "end_date": "20240331", **Q1},
    {"ts_code": "600000.SH", "ann_date": "20240506", "end_date": "20231231", "roe": 7.5, "eps": 1.23},
]


def evidence_tables() -> dict[str, pd.DataFrame]:
    """Return the stand-in's evidence endpoints as tables (merge them into TushareStandin's `tables`)."""
    return {
        "anns_d": pd.DataFrame(ANNOUNCEMENTS, columns=["ann_date", "ts_code", "name", "title", "url", "rec_time"]),
        "news": pd.DataFrame(NEWS, columns=["datetime", "content", "title", "channels", "src"]),
        "fina_indicator_vip": pd.DataFrame(INDICATORS),
    }
