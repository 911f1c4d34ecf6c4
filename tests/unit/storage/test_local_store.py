from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from alphamoe.errors import ConfigurationError, DataError
from alphamoe.settings import Settings
from alphamoe.storage import ObjectNotFoundError, ObjectStore, S3Location, StorageError, open_store, parse_location
from alphamoe.storage.local import LocalStore
from alphamoe.storage.s3 import S3Store


def test_local_store_when_put_then_get_list_range_delete(tmp_path: Path) -> None:
    store = open_store(tmp_path / "objects")
    assert isinstance(store, LocalStore) and isinstance(store, ObjectStore)
    store.put_bytes("runs/2024-06-03/report.json", b'{"orders": 3}')
    store.put_bytes("bars/2024.parquet", b"PAR1")
    assert store.get_bytes("runs/2024-06-03/report.json") == b'{"orders": 3}'
    assert store.get_range("runs/2024-06-03/report.json", 2, 6) == b"orders"
    assert store.size("bars/2024.parquet") == 4
    assert store.list() == ["bars/2024.parquet", "runs/2024-06-03/report.json"]
    assert store.list("runs/") == ["runs/2024-06-03/report.json"]
    assert store.child("runs").list() == ["2024-06-03/report.json"]
    assert store.local_path("bars/2024.parquet") == tmp_path / "objects" / "bars" / "2024.parquet"
    store.delete("bars/2024.parquet")
    store.delete("bars/2024.parquet")
    assert not store.exists("bars/2024.parquet")
    with pytest.raises(ObjectNotFoundError, match=r"no object 'bars/2024\.parquet'") as caught:
        store.get_bytes("bars/2024.parquet")
    assert isinstance(caught.value, DataError)  # callers that catch DataError keep working


@pytest.mark.parametrize("key", ["", "/etc/passwd", "../outside", "a//b", "a/./b"])
def test_local_store_when_key_escapes_root_then_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(StorageError, match="must be a relative path"):
        LocalStore(tmp_path).put_bytes(key, b"x")


def test_put_stream_when_producer_dies_midway_then_old_object_kept_and_no_temp_left(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put_bytes("meta.json", b'{"version": 1}')

    def chunks() -> Iterator[bytes]:
        yield b'{"version": 2, '
        raise OSError("producer died")

    with pytest.raises(OSError, match="producer died"):
        store.put_stream("meta.json", chunks())
    assert store.get_bytes("meta.json") == b'{"version": 1}'
    assert store.list() == ["meta.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["meta.json"]


def test_local_store_when_read_while_rewritten_then_always_a_whole_version(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    versions = [bytes([i]) * 2_000_000 for i in range(4)]
    store.put_bytes("bars/2024.parquet", versions[0])
    stop = threading.Event()

    def write() -> None:
        i = 0
        while not stop.is_set():
            i += 1
            store.put_bytes("bars/2024.parquet", versions[i % 4])

    writer = threading.Thread(target=write)
    writer.start()
    try:
        for _ in range(60):
            assert store.get_bytes("bars/2024.parquet") in versions
    finally:
        stop.set()
        writer.join()


def test_parse_location_when_s3_or_folder_then_url_or_path() -> None:
    assert parse_location("s3://bucket-a/market/") == "s3://bucket-a/market"
    assert parse_location(Path("s3://bucket-a/market")) == "s3://bucket-a/market"  # a typer Path option folds //
    assert parse_location(S3Location("bucket-a", "x/y")) == "s3://bucket-a/x/y"
    assert parse_location("~/market") == Path.home() / "market"
    with pytest.raises(ConfigurationError, match="does not name an S3 bucket"):
        parse_location("s3://A_b/x")


def test_open_store_when_s3_url_then_s3_store_on_configured_endpoint() -> None:
    store = open_store("s3://bucket-a/market")
    assert isinstance(store, S3Store)
    assert store.url == "s3://bucket-a/market"
    assert store.child("runs").url == "s3://bucket-a/market/runs"


def test_settings_when_data_is_s3_then_url_kept_and_runs_stay_local(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPHAMOE_DATA", "s3://bucket-a/market")
    monkeypatch.setenv("ALPHAMOE_S3_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("XDG_DATA_HOME", "/tmp/xdg")
    settings = Settings()
    assert settings.data == "s3://bucket-a/market"
    assert settings.s3.endpoint_url == "http://127.0.0.1:9"
    assert settings.runs_dir == Path("/tmp/xdg/alphamoe/runs/bucket-a/market")
    assert Settings(data=Path("/srv/market")).runs_dir == Path("/srv/market/runs")


def test_s3_settings_when_only_aws_endpoint_then_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALPHAMOE_S3_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://oss-cn-hangzhou.aliyuncs.com")
    assert Settings().s3.endpoint_url == "https://oss-cn-hangzhou.aliyuncs.com"
