"""STAND-INS for the chat and mail services alerts go to, on 127.0.0.1, for tests only.

Each answers like the real service in the parts alerts rely on, and checks what the real one checks:
- WeCom group robot: `POST /cgi-bin/webhook/send?key=` → errcode 0 | 93000 (bad key) | 45009 (throttled) |
  40008 (bad msgtype) | 40058 (markdown content missing or over 4,096 bytes).
- Feishu custom bot: `POST /open-apis/bot/v2/hook/<token>` with `timestamp` and `sign`
  = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")) → code 0 | 19001 (bad token) | 19021 (bad sign
  or timestamp over an hour off) | 9499 (throttled) | 19002 (bad message).
- DingTalk custom robot: `POST /robot/send?access_token=&timestamp=&sign=` with sign
  = base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")) URL-encoded once → errcode 0 | 300001 (bad token) |
  310000 (bad sign) | 130101 (send too fast) | 40035 (bad message).
- Telegram Bot API: `POST /bot<token>/sendMessage` → `{"ok": true}` | 401 Unauthorized | 400 chat not found,
  message too long, can't parse entities (HTML mode) | 429 with `parameters.retry_after`.
- SMTP: a tiny stdlib ESMTP server (EHLO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no STARTTLS) →
  535 on a wrong password, 421 when told to throttle.
`throttle_next(n)` makes the next n requests answer the service's rate-limit reply; `BlackHole` accepts
TCP connections and never answers (a service that hangs).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Answer = tuple[int, dict[str, Any], dict[str, str]]


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class WebhookStandIn:
    """Base of the HTTP stand-ins: one server on 127.0.0.1, every accepted message kept in `received`."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.requests = 0
        self.refused: list[dict[str, Any]] = []
        self._throttle = 0
        self._lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                try:
                    body = json.loads(raw.decode("utf-8"))
                except ValueError:
                    body = None
                with standin._lock:
                    standin.requests += 1
                    throttled = standin._throttle > 0
                    standin._throttle -= 1 if throttled else 0
                status, answer, headers = standin.answer(parts.path, query, body, throttled=throttled)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def start(self) -> WebhookStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def throttle_next(self, n: int) -> None:
        with self._lock:
            self._throttle = n

    def answer(self, path: str, query: dict[str, str], body: Any, *, throttled: bool) -> Answer:
        raise NotImplementedError

    def _accept(self, body: dict[str, Any]) -> None:
        with self._lock:
            self.received.append(body)

    def _refuse(self, body: Any, why: str) -> None:
        with self._lock:
            self.refused.append({"body": body, "why": why})


class WeComStandIn(WebhookStandIn):
    """企业微信 group robot stand-in."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key

    def answer(self, path: str, query: dict[str, str], body: Any, *, throttled: bool) -> Answer:
        if path != "/cgi-bin/webhook/send" or query.get("key") != self.key:
            self._refuse(body, "key")
            return 200, {"errcode": 93000, "errmsg": "invalid webhook url, hint: [stand-in]"}, {}
        if throttled:
            return 200, {"errcode": 45009, "errmsg": "api freq out of limit, hint: [stand-in]"}, {}
        if not isinstance(body, dict) or body.get("msgtype") != "markdown":
            self._refuse(body, "msgtype")
            return 200, {"errcode": 40008, "errmsg": "invalid message type"}, {}
        content = (body.get("markdown") or {}).get("content")
        if not isinstance(content, str) or not content or len(content.encode("utf-8")) > 4096:
            self._refuse(body, "content")
            return 200, {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}, {}
        self._accept(body)
        return 200, {"errcode": 0, "errmsg": "ok"}, {}


def feishu_expected_sign(timestamp: str, secret: str) -> str:
    """The service's own check, written from its documentation (key = timestamp + "\\n" + secret, empty message)."""
    key = (timestamp + "\n" + secret).encode("utf-8")
    return base64.b64encode(hmac.new(key, digestmod=hashlib.sha256).digest()).decode()


class FeishuStandIn(WebhookStandIn):
    """飞书 custom bot stand-in (signature check on when `secret` is given)."""

    def __init__(self, token: str, secret: str | None = None, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.token, self.secret, self.clock = token, secret, clock

    def answer(self, path: str, query: dict[str, str], body: Any, *, throttled: bool) -> Answer:
        if path != f"/open-apis/bot/v2/hook/{self.token}":
            self._refuse(body, "token")
            return 200, {"code": 19001, "data": {}, "msg": "param invalid: incoming webhook access token invalid"}, {}
        if not isinstance(body, dict):
            return 400, {"code": 9499, "data": {}, "msg": "Bad Request"}, {}
        if self.secret is not None:
            timestamp, sign = str(body.get("timestamp", "")), body.get("sign")
            fresh = timestamp.isdigit() and abs(self.clock() - int(timestamp)) <= 3600
            if not fresh or sign != feishu_expected_sign(timestamp, self.secret):
                self._refuse(body, "sign")
                return (
                    200,
                    {
                        "code": 19021,
                        "data": {},
                        "msg": "sign match fail or timestamp is not within one hour from current time",
                    },
                    {},
                )
        if throttled:
            return 200, {"code": 9499, "data": {}, "msg": "too many request"}, {}
        kind = body.get("msg_type")
        card = body.get("card") or {}
        ok = (kind == "text" and isinstance((body.get("content") or {}).get("text"), str)) or (
            kind == "interactive" and card.get("header", {}).get("title", {}).get("content") and card.get("elements")
        )
        if not ok:
            self._refuse(body, "message")
            return 200, {"code": 19002, "data": {}, "msg": "params error, msg_type or content invalid"}, {}
        self._accept(body)
        return 200, {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"}, {}


def dingtalk_expected_sign(timestamp: str, secret: str) -> str:
    """The service's own check, written from its documentation (key = secret, message = timestamp + "\\n" + secret)."""
    digest = hmac.new(secret.encode(), (timestamp + "\n" + secret).encode(), digestmod=hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class DingTalkStandIn(WebhookStandIn):
    """钉钉 custom robot stand-in (加签 check on when `secret` is given)."""

    def __init__(self, access_token: str, secret: str | None = None, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.access_token, self.secret, self.clock = access_token, secret, clock

    def answer(self, path: str, query: dict[str, str], body: Any, *, throttled: bool) -> Answer:
        if path != "/robot/send" or query.get("access_token") != self.access_token:
            self._refuse(body, "token")
            return 200, {"errcode": 300001, "errmsg": "token is not exist"}, {}
        if self.secret is not None:
            timestamp = query.get("timestamp", "")
            fresh = timestamp.isdigit() and abs(self.clock() * 1000 - int(timestamp)) <= 3_600_000
            if not fresh or query.get("sign") != dingtalk_expected_sign(timestamp, self.secret):
                self._refuse(body, "sign")
                return 200, {"errcode": 310000, "errmsg": "sign not match, more: [stand-in]"}, {}
        if throttled:
            return 200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}, {}
        markdown = body.get("markdown") if isinstance(body, dict) else None
        if (
            not isinstance(body, dict)
            or body.get("msgtype") != "markdown"
            or not isinstance(markdown, dict)
            or not markdown.get("title")
            or not markdown.get("text")
        ):
            self._refuse(body, "message")
            return 200, {"errcode": 40035, "errmsg": "缺少参数 markdown.title / markdown.text"}, {}
        self._accept(body)
        return 200, {"errcode": 0, "errmsg": "ok"}, {}


class _HtmlCheck(HTMLParser):
    # Telegram's HTML mode: only its tags, balanced; a stray '<' or '&' is a parse error
    ALLOWED = frozenset({"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "a", "tg-spoiler"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.error = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.ALLOWED:
            self.error = self.error or f'Unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.error = self.error or f'Unmatched end tag "{tag}"'

    def handle_entityref(self, name: str) -> None:
        if name not in ("lt", "gt", "amp", "quot"):
            self.error = self.error or f'Unsupported entity "&{name};"'


def telegram_html_error(text: str) -> str:
    """Return why Telegram would refuse `text` in HTML mode ('' when it would not)."""
    if re.search(r"<(?!/?[a-zA-Z][a-zA-Z-]*(\s[^<>]*)?>)", text):
        return "Unexpected end of name token"
    if re.search(r"&(?!(lt|gt|amp|quot|#\d+);)", text):
        return "Unsupported entity"
    check = _HtmlCheck()
    check.feed(text)
    check.close()
    if check.stack and not check.error:
        return f'Can\'t find end tag corresponding to start tag "{check.stack[-1]}"'
    return check.error


class TelegramStandIn(WebhookStandIn):
    """Telegram Bot API stand-in (sendMessage only); a throttled request answers 429 with `retry_after`."""

    def __init__(self, token: str, chat_id: str, *, retry_after: int = 1) -> None:
        super().__init__()
        self.token, self.chat_id, self.retry_after = token, chat_id, retry_after

    def answer(self, path: str, query: dict[str, str], body: Any, *, throttled: bool) -> Answer:
        if path != f"/bot{self.token}/sendMessage":
            self._refuse(body, "token")
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}, {}
        if throttled:
            description = f"Too Many Requests: retry after {self.retry_after}"
            answer = {"ok": False, "error_code": 429, "description": description}
            return 429, {**answer, "parameters": {"retry_after": self.retry_after}}, {}
        if not isinstance(body, dict) or str(body.get("chat_id")) != self.chat_id:
            self._refuse(body, "chat")
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}, {}
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"}, {}
        if len(text) > 4096:
            self._refuse(body, "length")
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"}, {}
        if body.get("parse_mode") == "HTML" and (error := telegram_html_error(text)):
            self._refuse(body, "entities")
            description = f"Bad Request: can't parse entities: {error}"
            return 400, {"ok": False, "error_code": 400, "description": description}, {}
        self._accept(body)
        return 200, {"ok": True, "result": {"message_id": len(self.received), "chat": {"id": self.chat_id}}}, {}


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: Message


@dataclass
class SmtpStandIn:
    """A tiny ESMTP server (stdlib sockets) that keeps each accepted message; AUTH PLAIN when `password` is set."""

    username: str | None = None
    password: str | None = None
    received: list[Mail] = field(default_factory=list)
    sessions: int = 0
    _throttle: int = 0

    def __post_init__(self) -> None:
        standin = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                standin._session(self.rfile, self.wfile)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def start(self) -> SmtpStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def throttle_next(self, n: int) -> None:
        with self._lock:
            self._throttle = n

    def _session(self, rfile: Any, wfile: Any) -> None:
        def reply(line: str) -> None:
            wfile.write((line + "\r\n").encode())
            wfile.flush()

        with self._lock:
            self.sessions += 1
            throttled = self._throttle > 0
            self._throttle -= 1 if throttled else 0
        if throttled:
            reply("421 4.7.0 stand-in: too many messages, try again later")
            return
        reply("220 stand-in ESMTP")
        authed = self.password is None
        sender, recipients = "", []
        while line := rfile.readline():
            command = line.decode("utf-8", "replace").rstrip("\r\n")
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                reply("250-stand-in greets you")
                reply("250-SIZE 10240000")
                reply("250 AUTH PLAIN" if self.password is not None else "250 8BITMIME")
            elif verb == "HELO":
                reply("250 stand-in")
            elif verb == "AUTH":
                parts = command.split()
                token = parts[2] if len(parts) > 2 else ""
                try:
                    _, user, secret = base64.b64decode(token).decode().split("\0")
                except ValueError:
                    user = secret = ""
                if parts[1].upper() == "PLAIN" and user == self.username and secret == self.password:
                    authed = True
                    reply("235 2.7.0 Authentication successful")
                else:
                    reply("535 5.7.8 Authentication credentials invalid")
            elif verb == "MAIL":
                if not authed:
                    reply("530 5.7.0 Authentication required")
                    continue
                sender = command.split(":", 1)[1].strip().split()[0].strip("<>")
                reply("250 2.1.0 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                reply("250 2.1.5 OK")
            elif verb == "DATA":
                reply("354 End data with <CR><LF>.<CR><LF>")
                data = bytearray()
                while (chunk := rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                with self._lock:
                    self.received.append(Mail(sender, recipients, message_from_bytes(bytes(data))))
                sender, recipients = "", []
                reply("250 2.0.0 OK queued")
            elif verb in ("RSET", "NOOP"):
                reply("250 2.0.0 OK")
            elif verb == "QUIT":
                reply("221 2.0.0 Bye")
                return
            else:
                reply("502 5.5.2 Command not recognized")


class BlackHole:
    """A TCP port that accepts connections (the kernel's backlog) and never answers: a hung service."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(128)
        self.port = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._socket.close()
