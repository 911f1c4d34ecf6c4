from __future__ import annotations

import json
import re
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from alphamoe.cli.data_commands import data_app
from alphamoe.data.actions.model import ActionKind
from alphamoe.market.bars import BarStore

SAMPLES = Path(__file__).parent / "samples" / "actions"
HEADER = "股票代码,股票名称,交易日期,开盘价,最高价,最低价,收盘价,前收盘价,成交量,成交额"
ROWS = [  # 600000.SH: cash 0.45 on 2021-07-01 (9.85 → 9.40); 601328.SH: 10转10 on 2021-07-02
    "sh600000,浦发银行,2021-06-30,9.80,9.90,9.75,9.85,9.80,3000000.0,29550000.0",
    "sh600000,XD浦发银,2021-07-01,9.42,9.50,9.38,9.45,9.40,2500000.0,23625000.0",
    "sh600000,浦发银行,2021-07-02,9.45,9.48,9.30,9.33,9.45,2000000.0,18760000.0",
]
BOCOM = [
    "sh601328,交通银行,2021-06-30,4.80,4.90,4.75,4.80,4.78,3000000.0,14400000.0",
    "sh601328,交通银行,2021-07-01,4.80,4.90,4.75,4.80,4.80,3000000.0,14400000.0",
    "sh601328,XR交通银,2021-07-02,2.40,2.45,2.38,2.41,2.40,3000000.0,7230000.0",
]

runner = CliRunner()


def _flat(text: str) -> str:
    return re.sub(r"\s", "", text)


def _store(tmp_path: Path) -> Path:
    daily = tmp_path / "daily"
    daily.mkdir()
    (daily / "sh600000.csv").write_text("\n".join(["banner", HEADER, *ROWS]) + "\n", encoding="utf-8")
    (daily / "sh601328.csv").write_text("\n".join(["banner", HEADER, *BOCOM]) + "\n", encoding="utf-8")
    out = tmp_path / "store"
    result = runner.invoke(data_app, ["import", "--format", "ganlei", "--path", str(daily), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert _flat("2 corporate actions inferred from the previous close") in _flat(result.output)
    return out


def test_import_when_ganlei_steps_then_inferred_actions_stored(tmp_path: Path) -> None:
    store = BarStore(_store(tmp_path))
    assert [(a.symbol, a.kind, a.cash or a.shares, a.inferred) for a in store.actions()] == [
        ("600000.SH", ActionKind.CASH_DIVIDEND, Decimal("0.45"), True),
        ("601328.SH", ActionKind.CAPITALISATION_SHARES, Decimal(1), True),
    ]
    assert store.meta()["actions_inferred"] == 2


def test_actions_when_one_stock_published_then_its_guesses_replaced_and_others_kept(tmp_path: Path) -> None:
    out = _store(tmp_path)
    akshare = tmp_path / "ak"
    akshare.mkdir()
    shutil.copy(SAMPLES / "akshare" / "600000.csv", akshare / "600000.csv")
    result = runner.invoke(data_app, ["actions", "--format", "akshare", "--path", str(akshare), "--data", str(out)])
    assert result.exit_code == 0, result.output
    assert _flat("2 corporate actions from 1 akshare file(s)") in _flat(result.output)
    assert _flat("(3 stored); 1 rows skipped") in _flat(result.output)
    assert _flat("0 findings against the prices") in _flat(result.output)
    stored = [(a.symbol, a.ex_date, a.source) for a in BarStore(out).actions()]
    assert stored == [
        ("600000.SH", date(2003, 1, 9), "akshare:分红"),
        ("600000.SH", date(2021, 7, 1), "akshare:分红"),
        ("601328.SH", date(2021, 7, 2), "inferred:prev_close"),
    ]


def test_actions_when_table_contradicts_prices_then_finding_printed_and_in_data_check(tmp_path: Path) -> None:
    out = _store(tmp_path)
    (tmp_path / "ak").mkdir()
    (tmp_path / "ak" / "600000.csv").write_text(
        "公告日期,送股,转增,派息,进度,除权除息日,股权登记日,红股上市日\n2021-06-24,10,0,4.5,实施,2021-07-01,2021-06-30,2021-07-01\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        data_app, ["actions", "--format", "akshare", "--path", str(tmp_path / "ak"), "--data", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert _flat("600000.SH 2021-07-01 action_prices") in _flat(result.output)
    report = tmp_path / "check.json"
    checked = runner.invoke(data_app, ["check", "--data", str(out), "--json", str(report)])
    assert checked.exit_code == 0, checked.output
    rules = {(f["symbol"], f["day"], f["rule"]) for f in json.loads(report.read_text(encoding="utf-8"))}
    assert ("600000.SH", "2021-07-01", "action_prices") in rules
    assert ("601328.SH", "2021-07-02", "action_inferred") in rules


def test_actions_when_no_action_in_table_then_exit_2_and_store_untouched(tmp_path: Path) -> None:
    out = _store(tmp_path)
    before = (out / "corporate_actions.parquet").read_bytes()
    (tmp_path / "ts").mkdir()
    (tmp_path / "ts" / "d.csv").write_text(
        "ts_code,div_proc,stk_div,cash_div_tax,ex_date\n600000.SH,预案,0,0.45,\n", encoding="utf-8"
    )
    result = runner.invoke(
        data_app, ["actions", "--format", "tushare", "--path", str(tmp_path / "ts"), "--data", str(out)]
    )
    assert result.exit_code == 2
    assert _flat("holds no importable tushare corporate actions (1 skipped)") in _flat(result.output)
    assert (out / "corporate_actions.parquet").read_bytes() == before


def test_check_strict_when_only_inferred_actions_then_exit_0_listing_them(tmp_path: Path) -> None:
    out = _store(tmp_path)
    result = runner.invoke(data_app, ["check", "--data", str(out), "--strict"])
    assert result.exit_code == 0, result.output
    assert _flat("601328.SH 2021-07-02 action_inferred capitalisation_shares shares 1") in _flat(result.output)
