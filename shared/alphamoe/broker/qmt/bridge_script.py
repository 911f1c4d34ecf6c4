# coding: utf-8
# ruff: noqa: N802, N803, UP006, UP009, UP031, UP035, UP045
"""alphamoe's bridge inside the full QMT client (迅投 QMT 投研/交易端): orders in, reports out, over Redis Streams.

Load this file as a Python strategy in QMT's 模型交易 panel and run it in 实盘 mode (functions/execute/README.md).
It runs in QMT's own Python (3.6-era; only the standard library and `redis` are needed: no f-string tricks,
no dataclasses, no pydantic). QMT puts its trading functions in the script's global namespace; this script
uses exactly these, as documented for QMT's built-in Python (read in litaolemo/xtquant_big_convert,
docs/BIGQMT_INNER_PYTHON_API_REFERENCE.md §6.1 passorder, §6.5 cancel, §6.8 get_trade_detail_data, §7 callbacks,
§10 enums, §11.4 投资备注):

- passorder(opType, orderType, accountid, orderCode, prType, price, volume, strategyName, quickTrade,
  userOrderId, ContextInfo): opType 23 buy / 24 sell, orderType 1101 (shares, one account), prType 11
  (指定价, a limit), quickTrade 2 (send now, from a timer), userOrderId = alphamoe's client order id
  (投资备注, < 24 characters), which comes back as `m_strRemark` on every order and deal. It returns nothing.
- cancel(orderSysID, accountId, accountType, ContextInfo) → bool "a cancel signal was sent"; not trusted:
  the order is queried after it and that state is what execute is told.
- get_trade_detail_data(accountId, accountType, 'order'|'deal'|'position'|'account') → lists read from the
  client's local cache.
- order_callback / deal_callback / account_callback / orderError_callback(ContextInfo, args, msg): forwarded.

Protocol (keys under alphamoe:qmt:<account>:): `requests` is a stream execute writes (fields kind, req,
bridge, and the order's terms); `events` is a stream this script writes (fields bridge, kind, req, data
as JSON); `bridge` is a key holding this run's bridge id, refreshed on every tick with a short TTL. A request
addressed to another bridge id (an earlier run: QMT restarted in between) is ignored, so nothing sent to a
dead run is ever executed late. Execute translates QMT's fields; this script only copies them.
"""

import builtins
import json
import os
import time
import uuid
from typing import Any, Dict, List, Optional

import redis

REDIS_URL = os.environ.get("ALPHAMOE_QMT_REDIS_URL", "redis://127.0.0.1:6379/0")
ACCOUNT_ID = os.environ.get("ALPHAMOE_QMT_ACCOUNT", "")
ACCOUNT_TYPE = "STOCK"
STRATEGY = "alphamoe"
POLL_PERIOD = "100nMilliSecond"
ALIVE_TTL_MS = 5000
MAX_EVENTS = 100000
SIMULATED = False  # set True only by alphamoe's simulated QMT runtime; a real client leaves it False

ORDER_FIELDS = (
    "m_strAccountID",
    "m_strExchangeID",
    "m_strInstrumentID",
    "m_nOffsetFlag",
    "m_dLimitPrice",
    "m_nVolumeTotalOriginal",
    "m_strOrderSysID",
    "m_nOrderStatus",
    "m_nVolumeTraded",
    "m_dTradedPrice",
    "m_strCancelInfo",
    "m_strErrorMsg",
    "m_strRemark",
)
DEAL_FIELDS = (
    "m_strExchangeID",
    "m_strInstrumentID",
    "m_strTradeID",
    "m_strOrderSysID",
    "m_nOffsetFlag",
    "m_dPrice",
    "m_nVolume",
    "m_dTradeAmount",
    "m_dComssion",
    "m_strRemark",
)
POSITION_FIELDS = (
    "m_strExchangeID",
    "m_strInstrumentID",
    "m_nVolume",
    "m_nCanUseVolume",
    "m_dOpenPrice",
    "m_dMarketValue",
)
ACCOUNT_FIELDS = ("m_strAccountID", "m_dBalance", "m_dAvailable", "m_dFrozenCash", "m_strStatus")


class _Bridge:
    """This run's state; kept in a plain global, not on ContextInfo (QMT rolls ContextInfo back per tick)."""

    def __init__(self) -> None:
        self.client = None  # type: Any
        self.bridge_id = ""
        self.cursor = "0-0"
        self.sent = set()  # type: set[str]


g = _Bridge()


def _api(name: str) -> Any:
    # QMT injects passorder, cancel and get_trade_detail_data into the strategy's namespace
    found = globals().get(name)
    return found if found is not None else getattr(builtins, name)


def _key(suffix: str) -> str:
    return "alphamoe:qmt:%s:%s" % (ACCOUNT_ID, suffix)


def _value(obj: Any, name: str) -> Any:
    value = getattr(obj, name, None)
    if value is None or isinstance(value, (int, float, str, bool)):
        return value
    return str(value)


def _row(obj: Any, fields: Any) -> Dict[str, Any]:
    return dict((name, _value(obj, name)) for name in fields)


def _emit(kind: str, data: Any, req: str = "") -> None:
    g.client.xadd(
        _key("events"),
        {"bridge": g.bridge_id, "kind": kind, "req": req, "data": json.dumps(data)},
        maxlen=MAX_EVENTS,
        approximate=True,
    )


def _query(datatype: str) -> List[Any]:
    return _api("get_trade_detail_data")(ACCOUNT_ID, ACCOUNT_TYPE, datatype) or []


def _orders() -> List[Dict[str, Any]]:
    return [_row(o, ORDER_FIELDS) for o in _query("order")]


def _order_with_remark(remark: str) -> Optional[Dict[str, Any]]:
    for row in _orders():
        if row.get("m_strRemark") == remark:
            return row
    return None


def _deals_with_remark(remark: str) -> List[Dict[str, Any]]:
    return [row for row in (_row(d, DEAL_FIELDS) for d in _query("deal")) if row.get("m_strRemark") == remark]


def _snapshot() -> Dict[str, Any]:
    accounts = _query("account")
    return {
        "orders": _orders(),
        "deals": [_row(d, DEAL_FIELDS) for d in _query("deal")],
        "positions": [_row(p, POSITION_FIELDS) for p in _query("position")],
        "account": _row(accounts[0], ACCOUNT_FIELDS) if accounts else None,
        "simulated": SIMULATED is True,
    }


def _submit(request: Dict[str, str], ContextInfo: Any) -> Dict[str, Any]:
    remark = request["cid"]
    known = _order_with_remark(remark)
    if known is not None or remark in g.sent:
        # one send per client order id, whatever execute retries
        return {"sent": False, "order": known, "deals": _deals_with_remark(remark)}
    op_type = 23 if request["side"] == "BUY" else 24
    g.sent.add(remark)
    _api("passorder")(
        op_type,
        1101,
        ACCOUNT_ID,
        request["symbol"],
        11,
        float(request["price"]),
        int(request["quantity"]),
        STRATEGY,
        2,
        remark,
        ContextInfo,
    )
    return {"sent": True, "order": _order_with_remark(remark), "deals": _deals_with_remark(remark)}


def _cancel(request: Dict[str, str], ContextInfo: Any) -> Dict[str, Any]:
    row = _order_with_remark(request["cid"])
    sysid = request.get("sysid") or (row or {}).get("m_strOrderSysID") or ""
    if not sysid:
        return {"returned": None, "order": row, "error": "no order id known for %s" % request["cid"]}
    returned = _api("cancel")(str(sysid), ACCOUNT_ID, ACCOUNT_TYPE, ContextInfo)
    remark = request["cid"]
    return {"returned": bool(returned), "order": _order_with_remark(remark), "deals": _deals_with_remark(remark)}


def _handle(request: Dict[str, str], ContextInfo: Any) -> Dict[str, Any]:
    kind = request.get("kind")
    if kind == "submit":
        return _submit(request, ContextInfo)
    if kind == "cancel":
        return _cancel(request, ContextInfo)
    if kind == "query":
        return _snapshot()
    return {"error": "unknown request kind %r" % kind}


def bridge_tick(ContextInfo: Any) -> None:
    """The timer: say alive, then answer every request that came since the last tick (never blocks)."""
    g.client.set(_key("bridge"), g.bridge_id, px=ALIVE_TTL_MS)
    answer = g.client.xread({_key("requests"): g.cursor}, count=100)
    for _stream, entries in answer or []:
        for entry_id, request in entries:
            g.cursor = entry_id
            if request.get("bridge") != g.bridge_id:
                continue  # addressed to an earlier run of this script: never executed late
            try:
                data = _handle(request, ContextInfo)
            except Exception as exc:  # a bad request must not stop the bridge
                data = {"error": "%s: %s" % (type(exc).__name__, exc)}
            _emit("reply", data, request.get("req", ""))


def init(ContextInfo: Any) -> None:
    """Bind the account, open Redis, announce a new bridge id and start the timer."""
    ContextInfo.set_account(ACCOUNT_ID)
    g.client = redis.Redis.from_url(REDIS_URL, decode_responses=True, socket_timeout=5)
    g.bridge_id = "%s-%s" % (time.strftime("%Y%m%d%H%M%S"), uuid.uuid4().hex[:8])
    last = g.client.xrevrange(_key("requests"), count=1)
    g.cursor = last[0][0] if last else "0-0"  # what was asked of an earlier run is not answered
    g.sent = set()
    g.client.set(_key("bridge"), g.bridge_id, px=ALIVE_TTL_MS)
    _emit("hello", {"account": ACCOUNT_ID})
    ContextInfo.run_time("bridge_tick", POLL_PERIOD, "2019-01-01 09:00:00")


def handlebar(ContextInfo: Any) -> None:
    return None


def stop(ContextInfo: Any) -> None:
    if g.client is not None:
        g.client.delete(_key("bridge"))


def order_callback(ContextInfo: Any, orderInfo: Any) -> None:
    _emit("order", _row(orderInfo, ORDER_FIELDS))


def deal_callback(ContextInfo: Any, dealInfo: Any) -> None:
    _emit("deal", _row(dealInfo, DEAL_FIELDS))


def account_callback(ContextInfo: Any, accountInfo: Any) -> None:
    _emit("account", _row(accountInfo, ACCOUNT_FIELDS))


def orderError_callback(ContextInfo: Any, orderArgs: Any, errMsg: Any) -> None:
    # strategyName carries "<strategy>_&&&_<投资备注>" when a remark was given (PassorderArguments, §3.19)
    name = str(getattr(orderArgs, "strategyName", "") or "")
    remark = name.split("_&&&_", 1)[1] if "_&&&_" in name else ""
    _emit("error", {"m_strRemark": remark, "orderCode": _value(orderArgs, "orderCode"), "msg": str(errMsg)})
