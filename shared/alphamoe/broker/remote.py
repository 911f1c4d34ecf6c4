"""The remote adapter: the `Broker` protocol over HTTP to a TAL gateway (`alphamoe gateway`).

Every command answers with the broker's view; reports in between come from the gateway's event log,
fetched after each command (so they arrive before the command's own answer is used) and by a background
long-poll. A transport error, or a gateway whose id changed (it restarted), drops the session: the
desk then reconnects and reconciles before sending anything new.
"""

from __future__ import annotations

import logging
import ssl
import threading
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from alphamoe.broker.poller import ensure_poller
from alphamoe.broker.protocol import BrokerOrder, BrokerUnavailableError, OrderCallback, SubmitOrder
from alphamoe.broker.trading_day import IsSession, require_trading_day
from alphamoe.portfolio import AccountState

log = logging.getLogger("alphamoe.broker.remote")
# An idle connection is not reused after this: the gateway closes idle ones after its request timeout
# (10 s by default), and a request sent on a connection it is closing fails and drops the session.
KEEPALIVE_S = 5.0


class RemoteBroker:
    """A broker session held by a gateway at `url`, for one trading day."""

    name = "remote"

    def __init__(
        self,
        url: str,
        token: str,
        day: date,
        *,
        verify: bool | Path = True,
        timeout: float = 10.0,
        background: bool = True,
        sessions: IsSession | None = None,
    ) -> None:
        self.url, self.day = url.rstrip("/"), day
        self._sessions = sessions
        verify_arg: bool | ssl.SSLContext = (
            ssl.create_default_context(cafile=str(verify)) if isinstance(verify, Path) else verify
        )
        self._http = httpx.Client(
            base_url=f"{self.url}/v1/{day.isoformat()}",
            headers={"authorization": f"Bearer {token}"},
            verify=verify_arg,
            timeout=timeout,
            limits=httpx.Limits(keepalive_expiry=KEEPALIVE_S),
        )
        self._background = background
        self._connected = False
        self._session = ""
        self._gateway_id = ""
        self._next = 0
        self._callbacks: list[OrderCallback] = []
        self._pull_lock = threading.Lock()
        self._poller: threading.Thread | None = None
        self._stop = threading.Event()
        self.remote_broker = ""

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def session_id(self) -> str:
        return self._session

    def connect(self) -> None:
        require_trading_day(self.name, self.day, self._sessions)  # no session (and no client login) on a closed day
        answer = self._call("POST", "/session", connecting=True)
        if answer["gateway_id"] != self._gateway_id:
            # a gateway new to us: start at the end of its log; what came before is what reconciliation reads
            self._gateway_id, self._next = answer["gateway_id"], int(answer["next"])
        self._session, self.remote_broker = answer["session_id"], answer["broker"]
        self._connected = True
        if self._background:
            self._poller = ensure_poller(self._poller, self._stop, self._poll, f"remote-broker-{self.day}")

    def close(self) -> None:
        """End the session (the HTTP client stays usable: `connect` opens a new session)."""
        self._connected = False
        self._stop.set()

    def subscribe(self, callback: OrderCallback) -> None:
        self._callbacks.append(callback)

    def submit(self, order: SubmitOrder) -> BrokerOrder:
        answer = BrokerOrder.model_validate(self._call("POST", "/orders", content=order.model_dump_json()))
        self._pull(wait=0, block=not self._background)
        return answer

    def cancel(self, client_order_id: str) -> BrokerOrder:
        try:
            answer = BrokerOrder.model_validate(self._call("POST", f"/orders/{client_order_id}/cancel"))
        except _NotFoundError as exc:
            raise KeyError(str(exc)) from None
        self._pull(wait=0, block=not self._background)
        return answer

    def orders(self) -> list[BrokerOrder]:
        return [BrokerOrder.model_validate(o) for o in self._call("GET", "/orders")]

    def account(self) -> AccountState:
        return AccountState.model_validate(self._call("GET", "/account"))

    def end_of_day(self) -> AccountState:
        state = AccountState.model_validate(self._call("POST", "/end_of_day"))
        self._pull(wait=0, block=not self._background)
        return state

    # -- transport ---------------------------------------------------------------------------------
    def _call(self, method: str, path: str, *, content: str | None = None, connecting: bool = False) -> Any:
        if not connecting and not self._connected:
            raise BrokerUnavailableError(f"remote broker {self.url}: not connected")
        try:
            response = self._http.request(
                method, path, content=content, headers={"content-type": "application/json"} if content else None
            )
        except httpx.HTTPError as exc:
            self._connected = False
            raise BrokerUnavailableError(f"remote broker {self.url}{path}: {type(exc).__name__}: {exc}") from exc
        if response.status_code == 404:
            raise _NotFoundError(response.json().get("error", response.text))
        if response.status_code >= 500 or response.status_code == 401:
            self._connected = False
            raise BrokerUnavailableError(
                f"remote broker {self.url}{path} answered {response.status_code}: {response.text[:300]}"
            )
        if response.status_code >= 400:
            raise ValueError(f"remote broker {self.url}{path} refused the request: {response.text[:300]}")
        return response.json()

    def _pull(self, wait: float, block: bool = True) -> None:
        # fetch and deliver reports after the last one seen; one puller at a time keeps them in order.
        # A command does not wait for the poller (which may be delivering into a caller holding its own
        # lock): the poller delivers those reports itself.
        if not self._pull_lock.acquire(blocking=block):
            return
        try:
            try:
                answer = self._call("GET", f"/events?after={self._next}&wait={wait}")
            except BrokerUnavailableError:
                return
            if answer["gateway_id"] != self._gateway_id:
                log.warning("gateway %s restarted (now %s): session lost", self._gateway_id, answer["gateway_id"])
                self._connected = False
                return
            self._next = answer["next"]
            for raw in answer["events"]:
                report = BrokerOrder.model_validate(raw)
                for callback in self._callbacks:
                    callback(report)
        finally:
            self._pull_lock.release()

    def _poll(self) -> None:
        while not self._stop.is_set():
            if not self._connected:
                self._stop.wait(0.2)
                continue
            self._pull(wait=1.0)


class _NotFoundError(Exception):
    pass
