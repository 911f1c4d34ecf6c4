"""Our client of tushare pro's HTTP API: one POST per query, the same wire protocol as `tushare.pro_api`.

Request: `POST {base_url}` with JSON `{"api_name", "token", "params", "fields": "a,b,c"}`.
Answer: `{"code": 0, "msg": "", "data": {"fields": [...], "items": [[...], ...], "has_more": bool}}`; a
non-zero code carries the reason in `msg`. tushare answers a call over the account's per-minute quota with
"抱歉，您每分钟最多访问该接口N次" (code 40203): that is waited out and retried; a bad token or an
endpoint the account's points do not unlock ("没有访问该接口的权限", "积分") fails at once with the message.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pandas as pd

from alphamoe.data.feeds.pacing import RateLimiter, Retry, RetryableError, VendorRefusedError

TUSHARE_URL = "http://api.tushare.pro"
RATE_LIMIT_MARKS = ("每分钟最多访问", "每小时最多访问", "访问频率")
RATE_LIMIT_WAIT_S = 60.0  # tushare's quota window: after a ban message, wait for the next minute


class TushareClient:
    """Query tushare pro endpoints as DataFrames, paced by a RateLimiter and retried by a Retry policy."""

    def __init__(
        self,
        token: str,
        *,
        base_url: str = TUSHARE_URL,
        limiter: RateLimiter | None = None,
        retry: Retry | None = None,
        timeout_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not token:
            raise VendorRefusedError(
                "tushare needs a token: set ALPHAMOE_DATA_SOURCE__TOKEN (your token at https://tushare.pro/user/token)"
            )
        self.base_url = base_url
        self._token = token
        self.limiter = limiter or RateLimiter(0)
        self.retry = retry or Retry()
        self.calls = 0
        self._http = httpx.Client(timeout=timeout_s, transport=transport)

    def close(self) -> None:
        self._http.close()

    def query(
        self, api_name: str, params: dict[str, Any] | None = None, fields: list[str] | None = None
    ) -> pd.DataFrame:
        """Return endpoint `api_name`'s rows for `params` with `fields` (all the endpoint's default fields if None)."""
        body = {"api_name": api_name, "token": self._token, "params": params or {}, "fields": ",".join(fields or [])}
        what = f"tushare {api_name}({_params_text(params)})"
        return self.retry.call(what, lambda: self._once(what, body))

    def query_all(
        self, api_name: str, params: dict[str, Any] | None = None, fields: list[str] | None = None, *, page: int = 5000
    ) -> pd.DataFrame:
        """Return every row of a query, paging with tushare's `offset`/`limit` (one call returns at most a page)."""
        parts: list[pd.DataFrame] = []
        offset = 0
        while True:
            part = self.query(api_name, {**(params or {}), "offset": offset, "limit": page}, fields)
            parts.append(part)
            if len(part) < page:
                return pd.concat(parts, ignore_index=True) if len(parts) > 1 else part
            offset += page

    def _once(self, what: str, body: dict[str, Any]) -> pd.DataFrame:
        self.limiter.wait()
        self.calls += 1
        try:
            response = self._http.post(self.base_url, json=body)
        except httpx.TransportError as exc:
            raise RetryableError(f"{what}: {type(exc).__name__} {exc} ({self.base_url})") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise RetryableError(f"{what}: HTTP {response.status_code} from {self.base_url}")
        if response.status_code >= 400:
            raise VendorRefusedError(f"{what}: HTTP {response.status_code} from {self.base_url}: {response.text[:200]}")
        try:
            answer = response.json()
        except json.JSONDecodeError:
            raise RetryableError(f"{what}: the answer is not JSON: {response.text[:200]!r}") from None
        code, msg = answer.get("code"), str(answer.get("msg") or "")
        if code != 0:
            if any(mark in msg for mark in RATE_LIMIT_MARKS):
                raise RetryableError(f"{what}: rate limited (code {code}): {msg}", wait_s=RATE_LIMIT_WAIT_S)
            raise VendorRefusedError(f"{what}: tushare code {code}: {msg}")
        data = answer.get("data") or {}
        columns = list(data.get("fields") or body["fields"].split(","))
        return pd.DataFrame(data.get("items") or [], columns=columns)


def _params_text(params: dict[str, Any] | None) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in (params or {}).items())
