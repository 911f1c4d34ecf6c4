"""One colour convention: red up and green down on the end-of-day page and the backtest heat map alike, and a
verdict in neither red nor green.

Issue 18: the end-of-day page used A-share colours while the backtest heat map used green for up, and red also
meant "veto".
"""

from __future__ import annotations

import re

from support.busy_day import busy_end_of_day

from alphamoe.backtest.report import HEAT_SCALE
from alphamoe.report.page import render_html


def css_colour(page: str, selector: str) -> str:
    found = re.search(rf"\.{selector}\{{color:(#[0-9a-fA-F]{{6}})\}}", page)
    assert found, f"no colour for .{selector}"
    return found.group(1).lower()


def test_colours_when_page_and_heat_map_drawn_then_up_red_down_green_in_both_and_verdicts_neither() -> None:
    page = render_html(busy_end_of_day(3))
    up, down = css_colour(page, "up"), css_colour(page, "down")
    assert str(HEAT_SCALE[-1][1]).lower() == up and str(HEAT_SCALE[0][1]).lower() == down  # top: the page's up
    red, green = int(up[1:3], 16) > int(up[3:5], 16), int(down[3:5], 16) > int(down[1:3], 16)
    assert red and green  # 红涨绿跌
    verdicts = {css_colour(page, v) for v in ("confirm", "veto", "abstain")}
    assert not verdicts & {up, down} and len(verdicts) == 3
    assert "class='veto'" in page
