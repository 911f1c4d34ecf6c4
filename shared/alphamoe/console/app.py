"""The console's ASGI app (Starlette): server-rendered pages, one SSE stream of the pipeline's progress,
and the operator's actions behind sign-in, role, CSRF token, confirmation and reason — each audited.

Every asset is served from the package (no CDN): the console works on a trading floor's closed network.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from alphamoe.broker.clutch import RedisClutch
from alphamoe.console.audit import AuditLog
from alphamoe.console.auth import (
    SESSION_COOKIE,
    LoginThrottle,
    OneTimeToken,
    Session,
    SessionRefusedError,
    SessionSigner,
    verify_password,
)
from alphamoe.console.config import Role
from alphamoe.console.views import ConsoleData, RedisDownError, llm_reasoning, search_history, stage_rows
from alphamoe.errors import AlphamoeError, ConfigurationError
from alphamoe.risk.state import TradingState
from alphamoe.risk.switch import RedisSwitch
from alphamoe.settings import Settings

HERE = Path(__file__).parent
Handler = Callable[[Request], Awaitable[Response]]
RISK_ACTIONS = {
    "halt": "set HALTED: risk approves no new order",
    "reduce": "set REDUCING: only sells that reduce a holding",
    "resume": "set ACTIVE again",
    "disengage": "disengage the clutch: keep deciding, send nothing",
    "engage": "engage the clutch: approved orders go to the broker again",
}


def _fmt_money(value: Decimal | float | int | None) -> str:
    return "—" if value is None else f"{Decimal(str(value)):,.2f}"


def _fmt_pct(value: Decimal | float | None) -> str:
    return "—" if value is None else f"{Decimal(str(value)) * 100:+.2f}%"


def _direction(value: Decimal | float | int | None) -> str:
    """The CSS class of a move: `up` / `down` (red / green in the A-share convention, swapped in the western)."""
    if value is None or value == 0:
        return "flat"
    return "up" if value > 0 else "down"


def _points(curve: list[tuple[date, Decimal]], width: int = 600, height: int = 160) -> str:
    """SVG polyline points of a curve scaled into the box (rendered here: no chart library in the page)."""
    if len(curve) < 2:
        return ""
    values = [float(v) for _, v in curve]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = width / (len(values) - 1)
    return " ".join(f"{i * step:.1f},{height - (v - low) / span * (height - 10) - 5:.1f}" for i, v in enumerate(values))


class Console:
    """The app's state: the data readers, sessions, the throttle, the one-time token and the audit log."""

    def __init__(self, settings: Settings, *, key: bytes | None = None, secure_cookies: bool = False) -> None:
        self.settings, self.cfg = settings, settings.console
        secret = self.cfg.session_secret.get_secret_value().encode() if self.cfg.session_secret else None
        self.signer = SessionSigner(key or secret or secrets.token_bytes(32), self.cfg.session_ttl_s)
        self.throttle = LoginThrottle(self.cfg.login_attempts, self.cfg.login_window_s)
        self.token = OneTimeToken() if not self.cfg.users else None
        self.data = ConsoleData(settings)
        self.audit = AuditLog(self.data.audit_path)
        self.secure_cookies = secure_cookies
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        env = self.templates.env
        env.filters.update(money=_fmt_money, pct=_fmt_pct, direction=_direction, points=_points)
        for name in env.list_templates(extensions=["html"]):
            env.get_template(name)  # compiled now, at start, not on a person's first visit to each page

    # -- sessions --------------------------------------------------------------------------------------
    def session(self, request: Request) -> Session | None:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            return None
        try:
            return self.signer.check(cookie)
        except SessionRefusedError as exc:
            self.audit.record("?", "session", why=str(exc), outcome="refused", address=_address(request))
            return None

    def _signed_in(self, response: Response, user: str, role: Role) -> Response:
        _, cookie = self.signer.issue(user, role)
        response.set_cookie(
            SESSION_COOKIE,
            cookie,
            max_age=self.cfg.session_ttl_s,
            httponly=True,
            samesite="strict",
            secure=self.secure_cookies,
        )
        return response

    def render(self, request: Request, template: str, session: Session, **context: Any) -> Response:
        context |= {
            "session": session,
            "csrf": self.signer.csrf(session),
            "western": request.cookies.get("colours") == "western",
            "page": template.removesuffix(".html"),
        }
        return self.templates.TemplateResponse(request, template, context)

    # -- login -----------------------------------------------------------------------------------------
    async def login_page(self, request: Request) -> Response:
        token = request.query_params.get("token")
        if token is not None:
            if self.token is not None and self.token.redeem(token):
                self.audit.record("local-operator", "login", why="one-time token", address=_address(request))
                return self._signed_in(RedirectResponse("/today", 303), "local-operator", Role.OPERATOR)
            self.audit.record("?", "login", why="one-time token unknown or used", outcome="refused")
            return self._login_form(request, "that login link was already used or is wrong", 403)
        return self._login_form(request, "")

    def _login_form(self, request: Request, message: str, status: int = 200) -> Response:
        context = {"message": message, "tokens_only": self.token is not None}
        return self.templates.TemplateResponse(request, "login.html", context, status_code=status)

    async def login(self, request: Request) -> Response:
        form = await _form(request)
        user, password, address = form.get("user", ""), form.get("password", ""), _address(request)
        wait = self.throttle.wait_s(user, address)
        if wait > 0:
            self.audit.record(
                user or "?", "login", why="too many wrong passwords", outcome="throttled", address=address
            )
            return self._login_form(request, f"too many wrong passwords: try again in {wait:.0f} s", 429)
        account = self.cfg.users.get(user)
        if account is None or not verify_password(password, account.password_hash):
            self.throttle.failed(user, address)
            self.audit.record(user or "?", "login", why="wrong user or password", outcome="refused", address=address)
            return self._login_form(request, "wrong user or password", 401)
        self.throttle.succeeded(user, address)
        self.audit.record(user, "login", why=f"password ({account.role.value})", address=address)
        return self._signed_in(RedirectResponse("/today", 303), user, account.role)

    async def logout(self, request: Request) -> Response:
        response = RedirectResponse("/login", 303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    # -- pages -----------------------------------------------------------------------------------------
    def page(self, handler: Callable[[Request, Session], Awaitable[Response]]) -> Handler:
        async def guarded(request: Request) -> Response:
            session = self.session(request)
            if session is None:
                return RedirectResponse(f"/login?next={quote(request.url.path)}", 303)
            return await handler(request, session)

        return guarded

    async def today(self, request: Request, session: Session) -> Response:
        day = _date_param(request, "day")
        run = request.query_params.get("run") or None
        every_row = request.query_params.get("all") == "1"
        view = await asyncio.to_thread(self.data.today, day, run, every_row)
        names = self.data.names(view.trading_day) if view else {}
        stages, redis_error = await _try(asyncio.to_thread(self.data.stages))
        status, _ = await _try(asyncio.to_thread(self.data.trading_status, self.settings.account_id))
        runs = [r for r in self.data.runs() if view is None or r.day == view.trading_day]
        latency = {s.stage: f"{s.ms:.0f} ms" for s in view.latency} if view else {}
        return self.render(
            request, "today.html", session, report=view, names=names, stages=stages or [], latency=latency,
            redis_error=redis_error, status=status, runs=runs,
        )  # fmt: skip

    async def reasoning(self, request: Request, session: Session) -> Response:
        run, symbol = request.path_params["run"], request.path_params["symbol"]
        found = await asyncio.to_thread(llm_reasoning, self.data, run, symbol)
        return self.render(request, "reasoning.html", session, run=run, symbol=symbol, calls=found)

    async def account(self, request: Request, session: Session) -> Response:
        try:
            views, together = await asyncio.to_thread(self.data.accounts)
        except ConfigurationError as exc:  # ALPHAMOE_ACCOUNTS unreadable: said on the page, not a 500
            return self.render(request, "account.html", session, accounts=[], together=None, accounts_error=str(exc))
        return self.render(request, "account.html", session, accounts=views, together=together, accounts_error=None)

    async def risk(self, request: Request, session: Session) -> Response:
        rows, redis_error = [], None
        for account_id in self.data.account_ids():
            try:
                state = await asyncio.to_thread(self.data.trading_status, account_id)
                clutch = await asyncio.to_thread(self.data.clutch_status, account_id)
            except RedisDownError as exc:
                redis_error = str(exc)
                break
            rows.append((account_id, state, clutch))
        return self.render(
            request, "risk.html", session, rows=rows, redis_error=redis_error, actions=RISK_ACTIONS,
            audit=self.data_audit(), notice=request.query_params.get("notice", ""),
        )  # fmt: skip

    def data_audit(self) -> list[dict[str, Any]]:
        return self.audit.tail(30)

    async def fabric(self, request: Request, session: Session) -> Response:
        groups, redis_error = await _try(asyncio.to_thread(self.data.with_redis, _groups))
        letters, _ = await _try(asyncio.to_thread(self.data.dead_letters))
        readiness = await asyncio.to_thread(self._readiness)
        from alphamoe.clock.schedule import local_day

        today = local_day(datetime.now(UTC), self.settings.clock)  # the budget's day is the exchange's
        tokens, cost = await asyncio.to_thread(self.data.llm_spend, today)
        return self.render(
            request, "fabric.html", session, stages=stage_rows(groups or []), groups=groups or [], latency={},
            letters=letters or [],
            redis_error=redis_error, readiness=readiness, ticks=self.data.next_ticks(), tokens=tokens, cost=cost,
            llm=self.settings.llm, today=today, notice=request.query_params.get("notice", ""),
        )  # fmt: skip

    def _readiness(self) -> dict[str, Any] | None:
        folder = self.settings.runs_dir / "cluster"
        if not (folder / "state.json").exists():
            return None
        from alphamoe.cli.fabric_commands import cluster_status

        try:
            return cluster_status(folder)
        except (AlphamoeError, OSError, KeyError, ValueError):
            return None

    async def history(self, request: Request, session: Session) -> Response:
        q = {k: request.query_params.get(k, "").strip() for k in ("day", "symbol", "verdict")}
        rows = await asyncio.to_thread(
            lambda: search_history(self.data, day=q["day"], symbol=q["symbol"], verdict=q["verdict"])
        )
        backtests = await asyncio.to_thread(self.data.backtests)
        return self.render(request, "history.html", session, rows=rows, q=q, runs=self.data.runs(),
                           backtests=backtests, backtest_dirs=self.data.backtest_dirs)  # fmt: skip

    # -- operator actions ------------------------------------------------------------------------------
    async def act(self, request: Request, what: str) -> tuple[Session, dict[str, str]] | Response:
        """Check an operator action: signed in, CSRF token, operator role, confirmed, with a reason.

        Each refusal is audited with who asked and why it was refused; the caller audits what was done.
        """
        session = self.session(request)
        form = await _form(request)
        address = _address(request)
        if session is None:
            self.audit.record("?", what, why="not signed in", outcome="refused", address=address)
            return PlainTextResponse("refused: sign in first", 401)
        if not self.signer.csrf_ok(session, form.get("csrf", "")):
            self.audit.record(
                session.user, what, why="CSRF token missing or forged", outcome="refused", address=address
            )
            return PlainTextResponse("refused: the form's CSRF token does not match your session", 403)
        if not session.operator:
            self.audit.record(
                session.user, what, why=f"role {session.role.value} may not act", outcome="refused", address=address
            )
            return HTMLResponse(
                f"<p>refused: {what} needs the operator role; {session.user} is a {session.role.value}.</p>"
                '<p><a href="/risk">back</a></p>',
                403,
            )
        if form.get("confirm") != "yes":
            return PlainTextResponse(f"refused: {what} needs confirming (field 'confirm')", 400)
        if not form.get("reason", "").strip():
            return PlainTextResponse(f"refused: {what} needs a reason (field 'reason')", 400)
        return session, form

    async def risk_action(self, request: Request) -> Response:
        action = request.path_params["action"]
        if action not in RISK_ACTIONS:
            return PlainTextResponse(f"unknown action {action!r}; expected one of {', '.join(RISK_ACTIONS)}", 404)
        checked = await self.act(request, action)
        if isinstance(checked, Response):
            return checked
        session, form = checked
        account, reason = form.get("account") or self.settings.account_id, form["reason"].strip()
        at = datetime.now(UTC)

        def apply(client: Any) -> str:
            if action in ("engage", "disengage"):
                return RedisClutch(client).set(account, action == "engage", reason, at=at).describe()
            state = {"halt": TradingState.HALTED, "reduce": TradingState.REDUCING, "resume": TradingState.ACTIVE}
            return RedisSwitch(client).set(account, state[action], reason, at=at).describe()

        try:
            result = await asyncio.to_thread(self.data.with_redis, apply)
        except RedisDownError as exc:
            self.audit.record(session.user, action, why=reason, outcome="failed", account=account, error=str(exc))
            return PlainTextResponse(f"not done: {exc}", 503)
        self.audit.record(session.user, action, why=reason, account=account, result=result)
        return RedirectResponse(f"/risk?notice={quote(f'{account}: {result}')}", 303)

    async def letter_action(self, request: Request) -> Response:
        action, entry = request.path_params["action"], request.path_params["entry"]
        if action not in ("requeue", "discard"):
            return PlainTextResponse(f"unknown action {action!r}; expected requeue or discard", 404)
        checked = await self.act(request, f"{action} dead letter")
        if isinstance(checked, Response):
            return checked
        session, form = checked
        try:
            if action == "requeue":
                stream = await asyncio.to_thread(self.data.requeue, entry)
                result = f"requeued to {stream}"
            else:
                await asyncio.to_thread(self.data.discard, entry)
                result = "discarded"
        except AlphamoeError as exc:
            self.audit.record(session.user, action, why=form["reason"], outcome="failed", entry=entry, error=str(exc))
            return PlainTextResponse(f"not done: {exc}", 409)
        self.audit.record(session.user, f"{action} dead letter", why=form["reason"], entry=entry, result=result)
        return RedirectResponse(f"/fabric?notice={quote(f'{entry}: {result}')}", 303)

    # -- live ------------------------------------------------------------------------------------------
    async def live(self, request: Request) -> Response:
        """Server-sent events: the stages' progress whenever it changes (looked at every stage_poll_s)."""
        if self.session(request) is None:
            return PlainTextResponse("sign in first", 401)
        return StreamingResponse(self._changes(request), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})  # fmt: skip

    async def _changes(self, request: Request) -> AsyncIterator[str]:
        last, quiet_since = "", time.monotonic()
        while not await request.is_disconnected():
            try:
                rows = stage_rows(await asyncio.to_thread(self.data.with_redis, _groups))
                message = json.dumps({"stages": [asdict(r) | {"done": r.done, "state": r.state} for r in rows]})
            except RedisDownError as exc:
                message = json.dumps({"redis_error": str(exc)})
            if message != last:
                last, quiet_since = message, time.monotonic()
                yield f"event: stages\ndata: {message}\n\n"
            elif time.monotonic() - quiet_since > 15:
                quiet_since = time.monotonic()
                yield ": still here\n\n"  # keeps proxies from closing an idle stream
            await asyncio.sleep(self.cfg.stage_poll_s)

    # -- the app ---------------------------------------------------------------------------------------
    def app(self) -> Starlette:
        async def home(request: Request) -> Response:
            return RedirectResponse("/today", 303)

        async def healthz(request: Request) -> Response:
            return PlainTextResponse("ok")

        routes = [
            Route("/", home),
            Route("/healthz", healthz),
            Route("/login", self.login_page, methods=["GET"]),
            Route("/login", self.login, methods=["POST"]),
            Route("/logout", self.logout, methods=["POST"]),
            Route("/today", self.page(self.today)),
            Route("/today/reasoning/{run}/{symbol}", self.page(self.reasoning)),
            Route("/account", self.page(self.account)),
            Route("/risk", self.page(self.risk)),
            Route("/risk/{action}", self.risk_action, methods=["POST"]),
            Route("/fabric", self.page(self.fabric)),
            Route("/fabric/dead-letters/{entry}/{action}", self.letter_action, methods=["POST"]),
            Route("/history", self.page(self.history)),
            Route("/live", self.live),
            Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        ]
        return Starlette(routes=routes)


def _groups(client: Any) -> Any:
    from alphamoe.bus.progress import progress

    return progress(client, count_lag=True)


async def _try(work: Awaitable[Any]) -> tuple[Any, str | None]:
    try:
        return await work, None
    except RedisDownError as exc:
        return None, str(exc)


async def _form(request: Request) -> dict[str, str]:
    # application/x-www-form-urlencoded, parsed here: no python-multipart dependency for five fields
    body = (await request.body()).decode("utf-8", errors="replace")
    return dict(parse_qsl(body, keep_blank_values=True))


def _address(request: Request) -> str:
    return request.client.host if request.client else "?"


def _date_param(request: Request, name: str) -> date | None:
    text = request.query_params.get(name)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadRequestError(f"{name}={text!r} is not a date (expected YYYY-MM-DD)") from None


class BadRequestError(AlphamoeError):
    """A query parameter that is not what the page takes: answered 400, naming the field."""


def build_app(
    settings: Settings, *, key: bytes | None = None, secure_cookies: bool = False
) -> tuple[Console, Starlette]:
    """Return the console and its ASGI app (a 400 naming the field for bad input, never a 500)."""
    console = Console(settings, key=key, secure_cookies=secure_cookies)
    app = console.app()

    async def bad_request(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(str(exc), 400)

    app.add_exception_handler(BadRequestError, bad_request)
    return console, app
