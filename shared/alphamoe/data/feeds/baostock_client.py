"""Our client of baostock's TCP protocol, the one the `baostock` package speaks to public-api.baostock.com:10030.

The package hardcodes its host, so we speak the protocol ourselves with host and port as settings
(ALPHAMOE_DATA_SOURCE__BAOSTOCK_HOST/PORT). Read from baostock 0.9.4 (`common/contants.py`,
`util/socketutil.py`, `data/messageheader.py`, `login/loginout.py`, `security/history.py`,
`metadata/stock_metadata.py`, `data/resultset.py`):

- a message is a 21-character header, `version \\x01 type \\x01 body length (10 digits)` (version "00.9.40"),
  then the body, fields joined by "\\x01"; a request ends with "\\x01" + crc32(header + body) and "\\n";
- an answer ends with "<![CDATA[]]>\\n"; for the types 96, 99, 9B and 9D the body is zlib-compressed and the
  header's length is the compressed length;
- an answer's body starts `error_code \\x01 error_msg` ("0" = success), then the request's echo and, at a
  fixed place per type, the rows as JSON `{"record": [[…], …]}` and the field names, comma-separated;
- one connection, logged in once (`login` 00 → 01: user, password, options "0"); a query names the user.

| call                           | types   | body after method and user             | rows, fields at |
| ------------------------------ | ------- | -------------------------------------- | --------------- |
| `query_trade_dates`            | 33 → 34 | page, per page (2000), start, end      | 6, 9            |
| `query_all_stock`              | 35 → 36 | page, per page, day                    | 6, 8            |
| `query_history_k_data_plus`    | 95 → 96 | page, per page, code, fields, start, end, frequency, adjustflag | 6, 8 |
| `query_daily_history_k_AStock` | 98 → 99 | day (the whole market, not paged)      | 4, 5            |

A page of 2,000 rows asks for the next page. Network faults reconnect and log in again; "not logged in"
(10001001) logs in again; both are retried with backoff. Other error codes are refused with baostock's message.
"""

from __future__ import annotations

import json
import socket
import zlib
from dataclasses import dataclass
from functools import partial
from typing import Any

import pandas as pd

from alphamoe.data.feeds.pacing import RateLimiter, Retry, RetryableError, VendorRefusedError

CLIENT_VERSION = "00.9.40"
SPLIT = "\x01"
END = b"<![CDATA[]]>\n"
HEADER_LENGTH = 21
COMPRESSED = frozenset({"96", "99", "9B", "9D"})
PAGE = 2000
SUCCESS = "0"
NOT_LOGGED_IN = "10001001"
NETWORK_ERRORS = ("10002",)  # 10002xxx: the server's own network faults


@dataclass(frozen=True)
class Call:
    """One baostock call: its request type, where its answer holds the rows and the field names, if paged."""

    request: str
    method: str
    rows_at: int
    fields_at: int
    paged: bool = True


TRADE_DATES = Call("33", "query_trade_dates", 6, 9)
ALL_STOCK = Call("35", "query_all_stock", 6, 8)
K_DATA_PLUS = Call("95", "query_history_k_data_plus", 6, 8)
DAILY_ALL_STOCKS = Call("98", "query_daily_history_k_AStock", 4, 5, paged=False)


def message(msg_type: str, body: str) -> bytes:
    """Return a request on the wire: header, body, "\\x01" + crc32 of both, "\\n"."""
    head_body = f"{CLIENT_VERSION}{SPLIT}{msg_type}{SPLIT}{len(body):010d}{body}"
    return f"{head_body}{SPLIT}{zlib.crc32(head_body.encode('utf-8'))}\n".encode()


def parse_answer(raw: bytes) -> tuple[str, list[str]]:
    """Return an answer's type and body fields (decompressed when its type is compressed)."""
    header = raw[:HEADER_LENGTH].decode("utf-8")
    parts = header.split(SPLIT)
    if len(parts) != 3 or not raw.endswith(END):
        raise RetryableError(f"baostock answered a malformed message: {raw[:60]!r}")
    msg_type, length = parts[1], int(parts[2])
    if msg_type in COMPRESSED:
        body = zlib.decompress(raw[HEADER_LENGTH : HEADER_LENGTH + length]).decode("utf-8")
    else:
        body = raw[HEADER_LENGTH : -len(END)].decode("utf-8")
    return msg_type, body.split(SPLIT)


def records(text: str) -> list[list[str]]:
    """Return the rows of an answer's `{"record": [...]}` (empty text: no row)."""
    if not text.strip():
        return []
    try:
        loaded: dict[str, Any] = json.loads(text)
    except json.JSONDecodeError:  # baostock's own client drops whitespace first (line breaks in the JSON)
        loaded = json.loads("".join(text.split()))
    rows: list[list[str]] = loaded.get("record") or []
    return rows


class BaostockClient:
    """Queries over one logged-in TCP connection to baostock, paced by a RateLimiter and retried by a Retry."""

    def __init__(
        self,
        host: str = "public-api.baostock.com",
        port: int = 10030,
        *,
        user: str = "anonymous",
        password: str = "123456",
        limiter: RateLimiter | None = None,
        retry: Retry | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        self.host, self.port = host, port
        self.user, self._password = user, password
        self.limiter = limiter or RateLimiter(0)
        self.retry = retry or Retry()
        self.timeout_s = timeout_s
        self.calls = 0
        self._socket: socket.socket | None = None

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def query(self, call: Call, params: list[str]) -> pd.DataFrame:
        """Return every row of a call (all its pages) as strings in the answer's field names."""
        frames: list[pd.DataFrame] = []
        page = 1
        while True:
            paging = [str(page), str(PAGE)] if call.paged else []
            what = f"baostock {call.method}({', '.join(params)}, page {page})"
            body = [call.method, self.user, *paging, *params]
            rows, names = self.retry.call(what, partial(self._once, call, body, what))
            frames.append(pd.DataFrame(rows, columns=names))
            if not call.paged or len(rows) < PAGE:
                break
            page += 1
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]

    def _once(self, call: Call, body: list[str], what: str) -> tuple[list[list[str]], list[str]]:
        self.limiter.wait()
        if self._socket is None:
            self._login(what)
        _, answer = self._exchange(call.request, body, what)
        code, text = answer[0], answer[1] if len(answer) > 1 else ""
        if code == NOT_LOGGED_IN:
            self.close()
            raise RetryableError(f"{what}: baostock {code} {text} (logging in again)")
        if code.startswith(NETWORK_ERRORS):
            raise RetryableError(f"{what}: baostock {code} {text}")
        if code != SUCCESS:
            raise VendorRefusedError(f"{what}: baostock error {code}: {text}")
        if len(answer) <= max(call.rows_at, call.fields_at):
            raise RetryableError(f"{what}: baostock's answer has {len(answer)} fields, expected more")
        names = [n.strip() for n in answer[call.fields_at].split(",")]
        return records(answer[call.rows_at]), names

    def _login(self, what: str) -> None:
        try:
            self._socket = socket.create_connection((self.host, self.port), timeout=self.timeout_s)
        except OSError as exc:
            raise RetryableError(f"{what}: cannot connect to baostock {self.host}:{self.port}: {exc}") from exc
        _, answer = self._exchange("00", ["login", self.user, self._password, "0"], what)
        if answer[0] != SUCCESS:
            self.close()
            raise VendorRefusedError(f"baostock login as {self.user!r} refused: {answer[0]} {answer[1:2]}")

    def _exchange(self, msg_type: str, body: list[str], what: str) -> tuple[str, list[str]]:
        # one request, one answer; a network fault drops the connection (the next call logs in again)
        assert self._socket is not None
        self.calls += 1
        try:
            self._socket.sendall(message(msg_type, SPLIT.join(body)))
            raw = b""
            while not raw.endswith(END):
                chunk = self._socket.recv(65536)
                if not chunk:
                    raise ConnectionResetError("baostock closed the connection mid-answer")
                raw += chunk
            return parse_answer(raw)
        except RetryableError:
            self.close()
            raise
        except (OSError, zlib.error, UnicodeDecodeError, ValueError) as exc:
            self.close()
            raise RetryableError(f"{what}: {type(exc).__name__} {exc} ({self.host}:{self.port})") from exc
