"""A STAND-IN for baostock's TCP server (public-api.baostock.com:10030), for tests and benchmarks only.

It speaks baostock's wire protocol on 127.0.0.1 as baostock 0.9.4's client expects it (the framing is
described in `alphamoe.data.feeds.baostock_client`): requests `header body \\x01crc32 \\n`; answers `header body
\\x01crc32 <![CDATA[]]>\\n`, zlib-compressed for the k-data types (96, 99) with the compressed length in the
header. It answers login (00), query_trade_dates (33), query_all_stock (35, paged by 2,000),
query_history_k_data_plus (95, paged) and query_daily_history_k_AStock (98, the whole market of a day), and
a query before login with 10001001 "用户未登陆".

Its rows are a bar store's frames in baostock's fields (strings; volume in shares, amount in CNY, `preclose`
the exchange's previous close, `isST`), with a `tradestatus` 0 row (prices at the previous close, volume 0)
for each listed stock without a bar that day, as baostock writes suspended days. Scripted faults for the next
requests: "drop" (the connection closes without an answer), "network" (10002007 网络接收错误), "nologin"
(the session is forgotten: 10001001). Over `calls_per_minute` the connection is dropped.
"""

from __future__ import annotations

import json
import socketserver
import threading
import time
import zlib
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Self

import numpy as np
import pandas as pd

VERSION = "00.9.40"
SPLIT = "\x01"
END = b"<![CDATA[]]>\n"
COMPRESSED = frozenset({"96", "99"})
USERS = {"anonymous": "123456"}
K_FIELDS = ("date", "code", "open", "high", "low", "close", "preclose", "volume", "amount", "adjustflag", "turn",
            "tradestatus", "pctChg", "peTTM", "pbMRQ", "psTTM", "pcfNcfTTM", "isST")  # fmt: skip
DAILY_FIELDS = ",".join(K_FIELDS)  # what query_daily_history_k_AStock answers (baostock's demo lists them)


def bs_code(symbol: str) -> str:
    digits, _, exchange = symbol.partition(".")
    return f"{exchange.lower()}.{digits}"


def _prices(values: pd.Series) -> pd.Series:
    return values.astype(float).map(lambda v: f"{v:.4f}" if v == v else "")


def _counts(values: pd.Series) -> pd.Series:
    return values.astype(float).map(lambda v: str(int(v)) if v == int(v) else repr(v))


def k_table(bars: pd.DataFrame, sessions: Sequence[date]) -> pd.DataFrame:
    """Return baostock k rows (strings) of each stock for every session it was listed, suspended days included."""
    spans = bars.groupby("symbol")["date"].agg(["min", "max"])
    grid = pd.DataFrame({"date": list(sessions)}).merge(spans.reset_index(), how="cross")
    grid = grid[(grid["date"] >= grid["min"]) & (grid["date"] <= grid["max"])][["symbol", "date"]]
    full = grid.merge(bars, on=["symbol", "date"], how="left").sort_values(["symbol", "date"], kind="stable")
    traded = full["close"].notna()
    by_symbol = full.groupby("symbol", sort=False)
    last = by_symbol["close"].ffill()
    for column in ("open", "high", "low", "close", "prev_close"):
        full[column] = full[column].fillna(last)
    full["name"] = by_symbol["name"].ffill().fillna("")
    full["st"] = by_symbol["st"].ffill().fillna(False).astype(bool)
    full[["volume", "amount"]] = full[["volume", "amount"]].fillna(0.0)
    return pd.DataFrame(
        {
            "date": full["date"].map(date.isoformat),
            "code": full["symbol"].map(bs_code),
            "code_name": full["name"].astype(str),
            **{c: _prices(full[c]) for c in ("open", "high", "low", "close")},
            "preclose": _prices(full["prev_close"]),
            "volume": _counts(full["volume"]),
            "amount": _prices(full["amount"]),
            "adjustflag": "3",
            "turn": "",
            "tradestatus": np.where(traded, "1", "0"),
            "pctChg": _prices((full["close"] / full["prev_close"] - 1) * 100),
            "peTTM": "",
            "pbMRQ": "",
            "psTTM": "",
            "pcfNcfTTM": "",
            "isST": np.where(full["st"], "1", "0"),
        }
    ).reset_index(drop=True)


def index_k_table(code: str, series: pd.DataFrame) -> pd.DataFrame:
    """Return baostock k rows of an index (code 000300.SH) from INDEX_COLUMNS."""
    return pd.DataFrame(
        {
            "date": [pd.Timestamp(d).date().isoformat() for d in series["date"]],
            "code": bs_code(code),
            "code_name": "",
            **{c: _prices(series[c]) for c in ("open", "high", "low", "close")},
            "preclose": _prices(series["close"].shift(1).fillna(series["close"])),
            "volume": _counts(series["volume"]),
            "amount": _prices(series["amount"]),
            "adjustflag": "3",
            "tradestatus": "1",
            "isST": "0",
        }
    )


@dataclass
class BaostockStandin:
    """baostock's TCP server on 127.0.0.1 over a bar store's frames (and index series by code, e.g. 000300.SH)."""

    bars: pd.DataFrame
    indices: dict[str, pd.DataFrame] = field(default_factory=dict)
    calls_per_minute: int = 0
    seen: list[dict[str, Any]] = field(default_factory=list)
    _faults: deque[str] = field(default_factory=deque)
    _calls: deque[float] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.sessions = sorted(set(self.bars["date"]))
        table = k_table(self.bars, self.sessions)
        index_parts = [index_k_table(code, series) for code, series in self.indices.items()]
        self.table = pd.concat([table, *index_parts], ignore_index=True)
        self.by_code = {str(c): rows for c, rows in self.table.groupby("code", sort=False)}
        self.by_day = {str(d): rows for d, rows in table.groupby("date", sort=False)}
        self._server = _Server(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def script(self, faults: Sequence[str]) -> None:
        """Answer the next requests with these faults ("drop", "network", "nologin"), then normally."""
        with self._lock:
            self._faults.extend(faults)

    def calls(self, method: str | None = None) -> int:
        return sum(1 for s in self.seen if method is None or s["method"] == method)

    def next_fault(self) -> str:
        with self._lock:
            if self._faults:
                return self._faults.popleft()
            if self.calls_per_minute > 0:
                now = time.monotonic()
                while self._calls and now - self._calls[0] >= 60:
                    self._calls.popleft()
                if len(self._calls) >= self.calls_per_minute:
                    return "drop"
                self._calls.append(now)
            return "ok"

    def answer(self, msg_type: str, body: list[str], session: dict[str, str]) -> tuple[str, list[str]]:
        """Return the answer's type and body fields to one request (session: this connection's login)."""
        method = body[0] if body else ""
        self.seen.append({"type": msg_type, "method": method, "params": body[1:]})
        reply = f"{int(msg_type) + 1:02d}"  # each request type's answer is the next number
        if msg_type == "00":
            user, password = body[1], body[2]
            if USERS.get(user) != password:
                return reply, ["10001002", "用户名或密码错误。"]
            session["user"] = user
            return reply, ["0", "success", "login", user]
        if session.get("user") is None or body[1] != session["user"]:
            return reply, ["10001001", "用户未登陆。"]
        ok = ["0", "success", method, body[1]]
        if msg_type == "33":
            page, per, start, end = body[2:6]
            first, last = date.fromisoformat(start), date.fromisoformat(end)
            days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
            open_days = set(self.sessions)
            rows = [[d.isoformat(), "1" if d in open_days else "0"] for d in days]
            return reply, [*ok, page, per, _records(rows, page, per), start, end, "calendar_date,is_trading_day"]
        if msg_type == "35":
            page, per, day = body[2:5]
            listed = self.table[self.table["date"] == day]
            rows = listed[["code", "tradestatus", "code_name"]].to_numpy().tolist()
            return reply, [*ok, page, per, _records(rows, page, per), day, "code,tradeStatus,code_name"]
        if msg_type == "95":
            page, per, code, fields, start, end, frequency, adjust = body[2:10]
            names = [f.strip() for f in fields.split(",")]
            unknown = [n for n in names if n not in self.table.columns]
            if unknown or frequency != "d" or adjust != "3":
                return reply, ["10004012", f"无效的指标: {','.join(unknown) or frequency + '/' + adjust}"]
            rows_of = self.by_code.get(code, self.table.iloc[:0])
            rows_of = rows_of[(rows_of["date"] >= start) & (rows_of["date"] <= end)]
            rows = rows_of[names].to_numpy().tolist()
            return reply, [*ok, page, per, _records(rows, page, per), code, fields, start, end, frequency, adjust]
        if msg_type == "98":
            day = body[2]
            rows = self.by_day.get(day, self.table.iloc[:0])[list(K_FIELDS)].to_numpy().tolist()
            return reply, [*ok, json.dumps({"record": rows}, ensure_ascii=False), DAILY_FIELDS]
        if msg_type == "02":
            session.pop("user", None)
            return reply, ["0", "success", "logout", body[1]]
        return "04", ["10004020", "错误的消息类型。"]


def _records(rows: list[list[str]], page: str, per: str) -> str:
    first = (int(page) - 1) * int(per)
    return json.dumps({"record": rows[first : first + int(per)]}, ensure_ascii=False)


def frame_answer(msg_type: str, body: list[str]) -> bytes:
    """Return an answer on the wire: header, body and its crc32 (zlib-compressed for 96/99), the end marker."""
    text = SPLIT.join(body)
    if msg_type in COMPRESSED:
        payload = zlib.compress(f"{text}{SPLIT}{zlib.crc32(text.encode('utf-8'))}".encode())
        return f"{VERSION}{SPLIT}{msg_type}{SPLIT}{len(payload):010d}".encode() + payload + END
    head_body = f"{VERSION}{SPLIT}{msg_type}{SPLIT}{len(text.encode('utf-8')):010d}{text}"
    return f"{head_body}{SPLIT}{zlib.crc32(head_body.encode('utf-8'))}".encode() + END


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def _handler(standin: BaostockStandin) -> type[socketserver.BaseRequestHandler]:
    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            session: dict[str, str] = {}
            buffer = b""
            while True:
                while b"\n" not in buffer:
                    chunk = self.request.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                line, _, buffer = buffer.partition(b"\n")
                fault = standin.next_fault()
                if fault == "drop":
                    return
                text = line.decode("utf-8")
                head_body, _, crc = text.rpartition(SPLIT)
                msg_type = head_body[:21].split(SPLIT)[1]
                if str(zlib.crc32(head_body.encode("utf-8"))) != crc:
                    reply, body = "04", ["10004019", "消息格式不正确。"]
                elif fault == "network":
                    reply, body = "04", ["10002007", "网络接收错误。"]
                else:
                    if fault == "nologin":
                        session.clear()
                    reply, body = standin.answer(msg_type, head_body[21:].split(SPLIT), session)
                self.request.sendall(frame_answer(reply, body))

    return Handler
