"""The reasoning page: an LLM expert's answer and its `reasoning_content`, from the decision record."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from support.console import console_app, sign_in, store_llm_call, users
from support.report_day import DAY, RUN

from alphamoe.events.payloads import SignalGenerated
from alphamoe.types import Board

SIGNAL = SignalGenerated(
    trading_day=DAY, signal_id=f"{DAY}:tb:600004.SH", symbol="600004.SH", board=Board.MAIN, strategy="tb", rank=1,
    score=1.0, reference_price=Decimal("10.00"), prev_close=Decimal("10.00"), features={}, p_win=0.55, payoff=1.5,
    n_trades=40,
)  # fmt: skip
THOUGHT = "Receivables grew 40% while revenue grew 5% <that> is a warning & I veto."


def test_reasoning_when_call_recorded_then_answer_and_reasoning_content_shown_escaped(tmp_path: Path) -> None:
    store_llm_call(tmp_path, RUN, SIGNAL, THOUGHT)
    _, client = console_app(tmp_path, None, users=users())
    sign_in(client, "bob")  # a viewer reads it
    page = client.get(f"/today/reasoning/{RUN}/600004.SH")
    assert page.status_code == 200
    assert "fundamental" in page.text and "deepseek-reasoner" in page.text and "veto" in page.text
    assert "Receivables grew 40% while revenue grew 5% &lt;that&gt; is a warning &amp; I veto." in page.text
    assert "receivables up 40%" in page.text  # the answer beside its chain of thought


def test_reasoning_when_no_call_for_the_symbol_or_not_signed_in_then_said_or_refused(tmp_path: Path) -> None:
    store_llm_call(tmp_path, RUN, SIGNAL, THOUGHT)
    _, client = console_app(tmp_path, None, users=users())
    assert client.get(f"/today/reasoning/{RUN}/600004.SH").status_code == 303  # to the login page
    sign_in(client, "bob")
    other = client.get(f"/today/reasoning/{RUN}/600000.SH").text
    assert "No LLM call recorded for 600000.SH" in other and THOUGHT[:20] not in other
