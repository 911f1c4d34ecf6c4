from __future__ import annotations

import pytest

from alphamoe.data.names import base_name, carried_name, is_delisting_name, is_st_name


@pytest.mark.parametrize(
    ("name", "st"),
    [
        ("ST东航", True),
        ("*ST东电", True),
        ("SST华新", True),
        ("S*ST北亚", True),
        ("XDST东北", True),
        ("NST昌河", True),
        ("S南航", False),  # share-reform marker, not a risk warning
        ("G茅台", False),
        ("XD浦发银", False),
        ("N华兴", False),
        ("C大地", False),
        ("TCL科技", False),
        ("天茂退", False),
        ("浦发银行", False),
    ],
)
def test_is_st_name_when_day_name_then_reads_risk_warning(name: str, st: bool) -> None:
    assert is_st_name(name) is st


@pytest.mark.parametrize(
    ("name", "base"),
    [("XD*ST东电", "东电"), ("DRG万华", "万华"), ("天茂退", "天茂"), ("退市长油", "长油"), ("GQY视讯", "GQY视讯")],
)
def test_base_name_when_markers_then_stripped(name: str, base: str) -> None:
    assert base_name(name) == base


def test_is_delisting_name_when_suffix_or_prefix_then_true() -> None:
    assert is_delisting_name("欧浦退")
    assert is_delisting_name("退市长油")
    assert not is_delisting_name("*ST欧浦")


@pytest.mark.parametrize(
    ("name", "carried"),
    [("XD*ST东电", "*ST东电"), ("N华兴", "华兴"), ("XR光源", "光源"), ("DR浦发", "浦发"), ("XDST海润", "ST海润"),
     ("*ST东电", "*ST东电"), ("C华兴", "C华兴"), ("天茂退", "天茂退"), ("浦发银行", "浦发银行")],
)  # fmt: skip
def test_carried_name_when_one_day_marker_then_dropped_and_lasting_ones_kept(name: str, carried: str) -> None:
    assert carried_name(name) == carried
