"""One chat completion over the `openai` package, with a timeout, bounded concurrency and retries.

Retried with exponential backoff (honouring Retry-After): 429, 5xx and connection errors.
Optionally hedged (`hedge_after_s`): a request still running after that long is sent again when a slot is
idle and nobody waits for one, and the first answer wins; this cuts the slow tail of a batch at the price
of the copies' tokens, which the budget counts. Not retried: a
timeout (a model that was slow once is slow again, and the wait already cost the per-call budget) and other
4xx (the request itself is wrong). The chain of thought (`reasoning_content` on DeepSeek-R1) is kept beside
the content; messages sent are built here from role and content only, so it is never sent back.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any, TypeAlias

from pydantic import BaseModel, ConfigDict

from alphamoe.errors import AlphamoeError
from alphamoe.llm.budget import Usage
from alphamoe.llm.capabilities import ModelCapabilities, capabilities_of
from alphamoe.llm.settings import LlmSettings

if TYPE_CHECKING:  # openai costs ~0.8 s to import: paid only when an LLM expert is configured
    import openai
    from openai.types.chat import ChatCompletion, ChatCompletionMessageParam

Message: TypeAlias = "ChatCompletionMessageParam"


def system(text: str) -> Message:
    return {"role": "system", "content": text}


def user(text: str) -> Message:
    return {"role": "user", "content": text}


def assistant(text: str) -> Message:
    """An earlier answer sent back for a repair: its content only, never its reasoning."""
    return {"role": "assistant", "content": text}


class Attempt(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    status: str
    """"ok", an HTTP status code ("429", "500"), "timeout" or "connection"."""
    latency_ms: float


class ChatReply(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    model: str
    content: str | None
    reasoning: str | None
    usage: Usage
    latency_ms: float
    attempts: tuple[Attempt, ...]


class ChatFailedError(AlphamoeError):
    """The call gave no answer after its retries; `outcome` names the last failure for the record."""

    def __init__(self, outcome: str, message: str, attempts: Sequence[Attempt]) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.attempts = tuple(attempts)


def _extra(obj: Any, name: str) -> Any:
    # OpenAI-compatible servers add fields the SDK keeps in model_extra (DeepSeek: reasoning_content, cache split)
    if obj is None:
        return None
    value = getattr(obj, name, None)
    if value is None and isinstance(getattr(obj, "model_extra", None), dict):
        value = obj.model_extra.get(name)
    return value


def usage_of(completion: ChatCompletion) -> Usage:
    """Return the call's token counts, reading DeepSeek's cache split or OpenAI's cached-token detail."""
    u = completion.usage
    if u is None:
        return Usage()
    hit = _extra(u, "prompt_cache_hit_tokens")
    if hit is None:
        hit = _extra(_extra(u, "prompt_tokens_details"), "cached_tokens")
    reasoning = _extra(_extra(u, "completion_tokens_details"), "reasoning_tokens")
    return Usage(
        prompt_tokens=u.prompt_tokens,
        completion_tokens=u.completion_tokens,
        cache_hit_tokens=int(hit or 0),
        reasoning_tokens=int(reasoning or 0),
    )


def _retry_after(exc: openai.APIStatusError) -> float | None:
    value = exc.response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class ChatClient:
    """Chat completions for one model; thread-safe, at most `max_concurrency` requests in flight."""

    def __init__(
        self,
        settings: LlmSettings,
        *,
        capabilities: ModelCapabilities | None = None,
        sleep: Callable[[float], None] = time.sleep,
        on_usage: Callable[[Usage], None] | None = None,
    ) -> None:
        """`on_usage` sees the usage of every answer received, hedged copies included: what the budget pays."""
        self.settings = settings
        self.model = settings.model
        self.capabilities = capabilities or capabilities_of(settings.model)
        self._sleep = sleep
        self._slots = threading.BoundedSemaphore(settings.max_concurrency)
        self._waiting = 0  # callers queued for a slot: hedges only use capacity nobody is waiting for
        self._waiting_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=settings.max_concurrency, thread_name_prefix="llm-call")
        self.on_usage = on_usage
        import httpx2
        import openai

        key = settings.api_key.get_secret_value() if settings.api_key else "not-needed"
        self._client = openai.OpenAI(
            base_url=settings.endpoint,
            api_key=key,
            timeout=openai.Timeout(settings.timeout_s, connect=min(10.0, settings.timeout_s)),
            max_retries=0,  # retries are ours: counted, recorded, and with our backoff
            http_client=openai.DefaultHttpx2Client(
                limits=httpx2.Limits(max_connections=settings.max_concurrency * 2, max_keepalive_connections=64)
            ),
        )

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._client.close()

    def chat(self, messages: Sequence[Message]) -> ChatReply:
        """Return the model's answer to `messages`, or raise ChatFailedError after the allowed retries."""
        import openai

        attempts: list[Attempt] = []
        for attempt in range(self.settings.max_retries + 1):
            self._acquire_slot()
            t0 = time.perf_counter()  # after the wait for a slot: the latency is the model's, not the queue's
            delay: float | None = None
            try:
                completion, copies = self._hedged(messages)
            except openai.APITimeoutError:
                attempts.append(Attempt(status="timeout", latency_ms=_ms(t0)))
                raise ChatFailedError(
                    "timeout", f"{self.model} gave no answer within {self.settings.timeout_s:g} s", attempts
                ) from None
            except openai.APIConnectionError as exc:
                attempts.append(Attempt(status="connection", latency_ms=_ms(t0)))
                outcome, detail = "connection_error", f"cannot reach {self.settings.endpoint}: {exc}"
            except openai.APIStatusError as exc:
                attempts.append(Attempt(status=str(exc.status_code), latency_ms=_ms(t0)))
                detail = f"{self.model} answered HTTP {exc.status_code}: {exc.message}"
                if exc.status_code == 429:
                    outcome = "rate_limited"
                elif exc.status_code >= 500:
                    outcome = "server_error"
                else:
                    raise ChatFailedError("http_error", detail, attempts) from None
                delay = _retry_after(exc)
            else:
                attempts.append(
                    Attempt(status="ok" if copies == 1 else f"ok ({copies} hedged copies)", latency_ms=_ms(t0))
                )
                message = completion.choices[0].message if completion.choices else None
                field = self.capabilities.reasoning_field or "reasoning_content"
                return ChatReply(
                    model=completion.model or self.model,
                    content=message.content if message else None,
                    reasoning=_extra(message, field),
                    usage=usage_of(completion),
                    latency_ms=round(sum(a.latency_ms for a in attempts), 3),
                    attempts=tuple(attempts),
                )
            if attempt < self.settings.max_retries:
                backoff = self.settings.backoff_s * 2**attempt * random.uniform(1.0, 1.25)
                self._sleep(min(self.settings.backoff_cap_s, delay if delay is not None else backoff))
        raise ChatFailedError(outcome, f"{detail} (after {len(attempts)} attempts)", attempts)

    def _acquire_slot(self) -> None:
        with self._waiting_lock:
            self._waiting += 1
        self._slots.acquire()
        with self._waiting_lock:
            self._waiting -= 1

    def _idle_slot(self) -> bool:
        with self._waiting_lock:
            return self._waiting == 0 and self._slots.acquire(blocking=False)

    def _hedged(self, messages: Sequence[Message]) -> tuple[ChatCompletion, int]:
        # Send the request (its slot is already held); while it runs past hedge_after_s and a slot is idle,
        # send copies, up to hedge_copies in all. The first answer wins; a failure waits for the other copies.
        # Copies left behind finish in the pool, holding their slot: in flight never exceeds max_concurrency.
        hedge_after, most = self.settings.hedge_after_s, self.settings.hedge_copies
        pending = {self._pool.submit(self._send, messages)}
        copies, failure = 1, None
        while pending:
            done, pending = wait(pending, timeout=hedge_after, return_when=FIRST_COMPLETED)
            for future in done:
                error = future.exception()
                if error is None:
                    return future.result(), copies
                failure = error
            if pending and hedge_after is not None and copies < most and self._idle_slot():
                pending.add(self._pool.submit(self._send, messages))
                copies += 1
        assert failure is not None
        raise failure

    def _send(self, messages: Sequence[Message]) -> ChatCompletion:
        try:
            completion = self._create(messages)
        finally:
            self._slots.release()
        if self.on_usage is not None:
            self.on_usage(usage_of(completion))
        return completion

    def _create(self, messages: Sequence[Message]) -> ChatCompletion:
        extra: dict[str, Any] = {}
        if self.capabilities.json_mode:
            extra["response_format"] = {"type": "json_object"}
        if self.capabilities.temperature:
            extra["temperature"] = 0.0
        completion: ChatCompletion = self._client.chat.completions.create(
            model=self.model, messages=list(messages), max_tokens=self.settings.max_tokens, **extra
        )
        return completion


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 3)
