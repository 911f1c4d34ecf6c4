"""S3 storage against a real S3-compatible server (moto, its own process) on 127.0.0.1, through boto3.

The server checks signatures (an IAM user it created), so wrong credentials are refused as on AWS or OSS.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support.s3 import BUCKET
from typer.testing import CliRunner

from alphamoe.data.store_write import DestructiveWriteError
from alphamoe.data.synthetic import generate_market
from alphamoe.market.bars import BarStore, has_bar_store
from alphamoe.storage import (
    ObjectNotFoundError,
    S3Location,
    StorageAccessDeniedError,
    StorageUnavailableError,
    open_store,
)
from alphamoe.storage.config import S3Settings
from alphamoe.storage.local_s3 import LocalS3
from alphamoe.storage.s3 import PART_SIZE, S3Store

pytestmark = pytest.mark.integration
runner = CliRunner()


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    return generate_market(60, date(2023, 11, 1), date(2024, 3, 29), 5)


def _store(s3: LocalS3, prefix: str) -> S3Store:
    return S3Store(S3Location(BUCKET, prefix), s3.client())


def test_put_get_list_delete_when_s3_then_same_as_any_store(s3: LocalS3) -> None:
    store = _store(s3, "objects")
    store.put_bytes("runs/2024-06-03/report.json", b'{"orders": 3}')
    store.put_bytes("runs/2024-06-04/report.json", b"{}")
    assert store.get_bytes("runs/2024-06-03/report.json") == b'{"orders": 3}'
    assert store.get_range("runs/2024-06-03/report.json", 2, 6) == b"orders"
    assert store.list("runs/") == ["runs/2024-06-03/report.json", "runs/2024-06-04/report.json"]
    assert store.child("runs").list() == ["2024-06-03/report.json", "2024-06-04/report.json"]
    assert store.exists("runs/2024-06-04/report.json")
    store.delete("runs/2024-06-04/report.json")
    store.delete("runs/2024-06-04/report.json")  # deleting twice is fine
    assert not store.exists("runs/2024-06-04/report.json")
    with pytest.raises(ObjectNotFoundError, match=r"no object 'runs/nope.json' in s3://alphamoe-test/objects"):
        store.get_bytes("runs/nope.json")


def test_open_store_when_bucket_missing_then_access_error_names_bucket(s3_env: LocalS3) -> None:
    store = open_store("s3://no-such-bucket/market")
    with pytest.raises(StorageAccessDeniedError, match="bucket 'no-such-bucket' does not exist"):
        store.get_bytes("meta.json")
    with pytest.raises(StorageAccessDeniedError, match="no-such-bucket"):
        BarStore("s3://no-such-bucket/market")


def test_s3_when_wrong_credentials_then_access_denied_and_nothing_written(s3: LocalS3) -> None:
    wrong = S3Store(S3Location(BUCKET, "denied"), s3.client("AKIAWRONGKEY0000", "not-the-secret"))
    with pytest.raises(StorageAccessDeniedError, match="access denied"):
        wrong.put_bytes("x.json", b"{}")
    stolen_id = S3Store(S3Location(BUCKET, "denied"), s3.client(s3.access_key, "not-the-secret"))
    with pytest.raises(StorageAccessDeniedError, match="SignatureDoesNotMatch"):
        stolen_id.list()
    assert not _store(s3, "denied").exists("x.json")


def test_put_stream_when_producer_fails_midway_then_nothing_published(s3: LocalS3) -> None:
    store = _store(s3, "stream")
    store.put_bytes("bars/2024.parquet", b"old version")

    def chunks() -> Iterator[bytes]:
        yield os.urandom(PART_SIZE)
        yield os.urandom(PART_SIZE)  # two parts uploaded …
        raise OSError("disk read failed")  # … then the writer dies

    with pytest.raises(OSError, match="disk read failed"):
        store.put_stream("bars/2024.parquet", chunks())
    assert store.get_bytes("bars/2024.parquet") == b"old version"
    assert not s3.client().list_multipart_uploads(Bucket=BUCKET).get("Uploads")  # the upload was aborted
    whole = os.urandom(PART_SIZE + 1000)
    store.put_stream("bars/2024.parquet", [whole[:1000], whole[1000:]])
    assert store.get_bytes("bars/2024.parquet") == whole


class _CuttingProxy:
    """A TCP proxy on 127.0.0.1 that forwards `limit` bytes of each request, then drops the connection."""

    def __init__(self, upstream: int, limit: int) -> None:
        self.upstream, self.limit = upstream, limit
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._cut, args=(client,), daemon=True).start()

    def _cut(self, client: socket.socket) -> None:
        server = socket.create_connection(("127.0.0.1", self.upstream))
        sent = 0
        with client, server:
            client.settimeout(5)
            while sent < self.limit:
                data = client.recv(min(65536, self.limit - sent))
                if not data:
                    break
                server.sendall(data)
                sent += len(data)
            # the network breaks here: both sides see the connection drop mid-body

    def close(self) -> None:
        self.sock.close()


def test_put_bytes_when_connection_drops_midway_then_old_object_still_read(s3: LocalS3) -> None:
    store = _store(s3, "cut")
    store.put_bytes("meta.json", b'{"version": 1}')
    proxy = _CuttingProxy(s3.port, limit=64 * 1024)
    try:
        settings = S3Settings(endpoint_url=f"http://127.0.0.1:{proxy.port}", max_attempts=1, read_timeout=5)
        cut = S3Store(S3Location(BUCKET, "cut"), s3.client(settings=settings))
        with pytest.raises(StorageUnavailableError):
            cut.put_bytes("meta.json", b'{"version": 2, "pad": "' + b"x" * 1_000_000 + b'"}')
    finally:
        proxy.close()
    assert store.get_bytes("meta.json") == b'{"version": 1}'


def test_bar_store_when_on_s3_then_reads_equal_local(
    s3_env: LocalS3, frames: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    bars, instruments = frames
    local = BarStore.write(tmp_path / "local", bars, instruments, {"generator": "test"})
    remote = BarStore.write("s3://alphamoe-test/market/a", bars, instruments, {"generator": "test"})
    assert has_bar_store("s3://alphamoe-test/market/a")
    assert not has_bar_store("s3://alphamoe-test/market/none")
    again = BarStore("s3://alphamoe-test/market/a")
    assert again.root == "s3://alphamoe-test/market/a"
    assert again.sessions() == local.sessions() and again.years == [2023, 2024]
    assert again.meta() == local.meta()
    pd.testing.assert_frame_equal(again.instruments(), local.instruments())
    for until, lookback in ((date(2024, 1, 3), 20), (date(2024, 3, 29), 250)):
        a, b = local.panel(until, lookback), again.panel(until, lookback)
        assert a.symbols == b.symbols
        for field in ("dates", "open", "close", "prev_close", "volume", "st", "listing_index"):
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert again.day(date(2024, 2, 5)) == local.day(date(2024, 2, 5))
    assert remote.day(date(2024, 2, 4)) == {}  # a Sunday


def test_bar_store_when_rewritten_with_fewer_years_then_refused_unless_replace(
    s3_env: LocalS3, frames: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    bars, instruments = frames
    BarStore.write("s3://alphamoe-test/market/b", bars, instruments, {})
    later = bars[pd.to_datetime(bars["date"]).dt.year == 2024]
    with pytest.raises(DestructiveWriteError, match="2023"):
        BarStore.write("s3://alphamoe-test/market/b", later, instruments, {})
    assert BarStore("s3://alphamoe-test/market/b").years == [2023, 2024]
    store = BarStore.write("s3://alphamoe-test/market/b", later, instruments, {}, replace=True)
    assert store.years == [2024]
    assert store.sessions()[0] == date(2024, 1, 2)


@pytest.fixture
def s3_market(s3_env: LocalS3, market_dir: Path) -> str:
    """The session's synthetic market copied object by object to s3://alphamoe-test/market/run."""
    local = BarStore(market_dir)
    target = open_store("s3://alphamoe-test/market/run")
    for key in local.objects.list():
        if not key.startswith("runs/"):
            target.put_bytes(key, local.objects.get_bytes(key))
    return "s3://alphamoe-test/market/run"


def test_run_when_data_is_s3_then_day_runs_and_reports(
    s3_market: str, market_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alphamoe.cli.app import app

    monkeypatch.setenv("ALPHAMOE_RUNS", str(tmp_path / "runs"))
    day = BarStore(market_dir).sessions()[-1]
    result = runner.invoke(app, ["run", "--date", day.isoformat(), "--data", s3_market, "--quiet"])
    assert result.exit_code == 0, result.output
    assert "report:" in result.output
    assert any((tmp_path / "runs").rglob("*.json"))


def test_backtest_when_data_is_s3_then_same_trades_as_local(
    s3_market: str, market_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alphamoe.cli.app import app

    monkeypatch.setenv("ALPHAMOE_RUNS", str(tmp_path / "runs"))
    days = BarStore(market_dir).sessions()
    window = ["backtest", "--start", days[-15].isoformat(), "--end", days[-1].isoformat(), "--no-progress"]
    local = runner.invoke(app, [*window, "--data", str(market_dir), "--json", str(tmp_path / "local.json")])
    if local.exit_code != 0:
        pytest.skip(f"`alphamoe backtest` does not run on local data yet: {local.output[-300:]}")
    remote = runner.invoke(app, [*window, "--data", s3_market, "--json", str(tmp_path / "s3.json")])
    assert remote.exit_code == 0, remote.output
    a = json.loads((tmp_path / "local.json").read_text(encoding="utf-8"))
    b = json.loads((tmp_path / "s3.json").read_text(encoding="utf-8"))
    assert a["sessions"] == b["sessions"] > 0
    for field in ("trades", "equity", "final_equity", "metrics", "rejected", "unfilled"):
        assert a[field] == b[field], field


def test_data_import_and_check_when_out_is_s3_then_store_on_s3(s3_env: LocalS3) -> None:
    from alphamoe.cli.data_commands import data_app

    samples = Path(__file__).resolve().parents[1] / "unit" / "data" / "samples"
    url = "s3://alphamoe-test/market/qmt"
    result = runner.invoke(data_app, ["import", "--format", "qmt", "--path", str(samples / "qmt"), "--out", url])
    assert result.exit_code == 0, result.output
    store = BarStore(url)
    assert store.meta()["importer"] == "qmt"
    assert store.day(date(2021, 7, 1))["600000.SH"].volume == 2_500_000.0
    checked = runner.invoke(data_app, ["check", "--data", url, "--strict"])
    assert "findings" in checked.output
    assert checked.exit_code == 1, checked.output  # --strict: the sample's one stock leaves a calendar gap
    assert "* 2021-07-05 calendar_gap" in checked.output
