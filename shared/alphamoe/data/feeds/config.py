"""Which vendor `data update` reads and how gently: ALPHAMOE_DATA_SOURCE__* (e.g. __NAME=tushare, __TOKEN=…)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

SourceName = Literal["tushare", "akshare", "baostock", "tdx", "files"]


class DataSourceSettings(BaseModel):
    """The update's vendor, its endpoint and its pacing; each field documents its default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: SourceName = Field(
        "tushare",
        description="tushare (HTTP API), akshare (eastmoney HTTP), baostock (TCP), tdx (day files), files (CSV folder)",
    )
    token: SecretStr | None = Field(None, description="tushare pro token (https://tushare.pro/user/token)")
    base_url: str = Field("http://api.tushare.pro", description="tushare's API URL (a stand-in's in tests)")
    calls_per_minute: int = Field(
        200, ge=0, description="vendor quota: tushare allows 200/min to 2,000-point accounts on daily; 0 = none"
    )
    retries: int = Field(5, ge=1, description="attempts per call before the update stops with the vendor's error")
    backoff_s: float = Field(1.0, ge=0, description="first wait after a failed call; doubles each retry, jittered")
    max_backoff_s: float = Field(60.0, ge=0, description="longest wait between two attempts")
    timeout_s: float = Field(30.0, gt=0, description="HTTP timeout of one call")
    indices: tuple[str, ...] = Field(
        ("000001.SH", "000300.SH", "000905.SH", "000852.SH"), description="benchmark indices fetched each session"
    )
    eastmoney_spot_url: str = Field(
        "https://82.push2.eastmoney.com/api/qt/clist/get", description="akshare: today's whole market (clist)"
    )
    eastmoney_kline_url: str = Field(
        "https://push2his.eastmoney.com/api/qt/stock/kline/get", description="akshare: a stock's or index's days"
    )
    eastmoney_dividend_url: str = Field(
        "https://datacenter-web.eastmoney.com/api/data/v1/get", description="akshare: 分红送配 (RPT_SHAREBONUS_DET)"
    )
    eastmoney_notice_url: str = Field(
        "https://np-anotice-stock.eastmoney.com/api/security/ann", description="akshare evidence: announcements"
    )
    eastmoney_finance_url: str = Field(
        "https://datacenter.eastmoney.com/securities/api/data/v1/get",
        description="akshare evidence: financial indicators (RPT_F10_FINANCE_MAINFINADATA)",
    )
    baostock_host: str = Field("public-api.baostock.com", description="baostock's TCP server")
    baostock_port: int = Field(10030, ge=1, le=65535, description="baostock's TCP port")
    baostock_user: str = Field("anonymous", description="baostock login (anonymous works)")
    baostock_password: SecretStr = Field(SecretStr("123456"), description="baostock password (anonymous: 123456)")
    tdx_dir: Path | None = Field(None, description="a TDX install (or its vipdoc folder) for name=tdx")
    files_dir: Path | None = Field(None, description="a folder of daily CSVs for name=files")
    files_format: str = Field("ganlei", description="their layout: ganlei, akshare, tushare, baostock, qmt")
