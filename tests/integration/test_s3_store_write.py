"""Appending to a bar store on S3 (the moto stand-in server, real boto3): the same rules as a local folder."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import pytest
from support.s3 import BUCKET

from alphamoe.data.quarantine import quarantined_days
from alphamoe.data.store_write import DestructiveWriteError, admit_days, append_bars
from alphamoe.data.synthetic import generate_market
from alphamoe.market.bars import BarStore
from alphamoe.storage.local_s3 import LocalS3
from alphamoe.storage.location import S3Location
from alphamoe.storage.s3 import S3Store

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def market() -> tuple[pd.DataFrame, pd.DataFrame]:
    return generate_market(40, date(2023, 11, 1), date(2024, 3, 29), 9)


def _objects(store: S3Store) -> dict[str, tuple[Any, Any]]:
    # every object's ETag and LastModified: a write that changes nothing leaves both as they were
    listing = store.client.list_objects_v2(Bucket=BUCKET, Prefix=store.location.prefix + "/")
    return {item["Key"]: (item["ETag"], item["LastModified"]) for item in listing.get("Contents", [])}


def test_s3_append_when_days_added_twice_then_kept_idempotent_and_destruction_refused(
    s3: LocalS3, market: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    bars, instruments = market
    days = sorted(set(bars["date"]))
    store = S3Store(S3Location(BUCKET, "append"), s3.client())
    BarStore.write(store, bars[bars["date"] < days[-2]], instruments, {"generator": "test"})
    report = append_bars(store, bars[bars["date"] >= days[-2]], source="stand-in vendor")
    assert report.added_days == days[-2:]
    assert BarStore(store).years == [2023, 2024] and BarStore(store).sessions() == days
    before = _objects(store)
    again = append_bars(store, bars[bars["date"] == days[-1]], source="stand-in vendor")
    assert again.unchanged_days == [days[-1]] and not again.changed
    assert _objects(store) == before
    with pytest.raises(DestructiveWriteError, match="2023"):
        BarStore.write(store, bars[bars["date"] >= date(2024, 1, 1)], instruments, {"generator": "test"})
    assert _objects(store) == before
    old_2023 = store.get_bytes("bars/2023.parquet")
    BarStore.write(store, bars[bars["date"] >= date(2024, 1, 1)], instruments, {"generator": "test"}, replace=True)
    assert BarStore(store).years == [2024]
    assert store.get_bytes("backups/g000002/bars/2023.parquet") == old_2023  # copied server-side


def test_s3_admit_when_day_fails_then_quarantined_on_s3_and_store_unchanged(
    s3: LocalS3, market: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    bars, instruments = market
    days = sorted(set(bars["date"]))
    store = S3Store(S3Location(BUCKET, "gate"), s3.client())
    BarStore.write(store, bars[bars["date"] < days[-1]], instruments, {"generator": "test"})
    before = _objects(store)
    day = bars[bars["date"] == days[-1]].copy()
    day.iloc[0, day.columns.get_loc("volume")] = -1.0
    result = admit_days(store, day, source="stand-in vendor")
    assert list(result.quarantined) == [days[-1]] and result.admitted == []
    after = {k: v for k, v in _objects(store).items() if "/quarantine/" not in k}
    assert after == before
    assert [q.day for q in quarantined_days(store)] == [days[-1]]
