"""The downloader against a real HTTP server on loopback serving the genuine GroupLens archive."""

from __future__ import annotations

import hashlib
import http.server
import io
import socket
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from recommender.download import download_dataset, ensure_dataset
from recommender.errors import DownloadError
from recommender.movielens import load_movielens


class ArchiveServer:
    """Serves ``routes`` (path -> bytes); ``truncate`` sends only part of a body."""

    def __init__(self) -> None:
        self.routes: dict[str, bytes] = {}
        self.truncate: dict[str, int] = {}
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = server.routes.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: server.truncate.get(self.path, len(body))])
                self.wfile.flush()
                self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/datasets"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[ArchiveServer]:
    srv = ArchiveServer()
    yield srv
    srv.close()


def _visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_good_download_is_verified_extracted_and_loadable(
    server, archive: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    server.routes["/datasets/ml-latest-small.zip"] = archive.read_bytes()
    target = download_dataset("ml-latest-small", tmp_path, server.url, progress=False)
    assert target == tmp_path / "ml-latest-small"
    assert _visible(tmp_path) == ["ml-latest-small"]  # no .part or staging folders left
    data = load_movielens(target)
    assert len(data.ratings) == 100_836 and len(data.movies) == 9_742


def test_ensure_dataset_downloads_a_missing_known_dataset_once(
    server, archive: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    server.routes["/datasets/ml-latest-small.zip"] = archive.read_bytes()
    folder = tmp_path / "data" / "ml-latest-small"
    assert ensure_dataset(folder, server.url, progress=False) == folder
    server.routes.clear()  # a second call must not download again
    assert ensure_dataset(folder, server.url, progress=False) == folder


def test_corrupt_archive_is_refused_and_leaves_nothing(
    server, archive: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    body = bytearray(archive.read_bytes())
    body[len(body) // 2] ^= 0xFF
    server.routes["/datasets/ml-latest-small.zip"] = bytes(body)
    with pytest.raises(DownloadError, match="corrupt or incomplete"):
        download_dataset("ml-latest-small", tmp_path, server.url, progress=False)
    assert _visible(tmp_path) == []


def test_truncated_download_is_refused_and_leaves_nothing(
    server, archive: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    server.routes["/datasets/ml-latest-small.zip"] = archive.read_bytes()
    server.truncate["/datasets/ml-latest-small.zip"] = 300_000
    with pytest.raises(DownloadError, match=r"stopped after 300,000 of 994,178 bytes"):
        download_dataset("ml-latest-small", tmp_path, server.url, progress=False)
    assert _visible(tmp_path) == []


def test_offline_says_where_to_put_the_files(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(DownloadError) as err:
        ensure_dataset(tmp_path / "ml-latest-small", f"http://127.0.0.1:{port}", progress=False)
    message = str(err.value)
    assert "Could not download" in message
    assert str(tmp_path / "ml-latest-small" / "ratings.csv") in message
    assert "MOVIEBOT_DATA_DIR" in message


def test_unknown_dataset_name_is_not_downloaded(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="No MovieLens data at"):
        ensure_dataset(tmp_path / "my-ratings", "http://127.0.0.1:9", progress=False)


def test_unpinned_dataset_is_checked_against_the_published_md5(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("ml-100k/u.data", "1\t1\t5\t881250949\n")
        bundle.writestr("ml-100k/u.item", "1|Toy Story (1995)|||" + "|0" * 19 + "\n")
    body = buffer.getvalue()
    server.routes["/datasets/ml-100k.zip"] = body
    server.routes["/datasets/ml-100k.zip.md5"] = (
        f"MD5 (ml-100k.zip) = {hashlib.md5(body).hexdigest()}\n".encode()
    )
    target = download_dataset("ml-100k", tmp_path, server.url, progress=False)
    assert load_movielens(target).report.format == "100k"
    server.routes["/datasets/ml-100k.zip.md5"] = b"0" * 32
    with pytest.raises(DownloadError, match="corrupt or incomplete"):
        download_dataset("ml-100k", tmp_path / "again", server.url, progress=False)


def test_leftovers_of_an_interrupted_attempt_are_cleaned(
    server, archive: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".ml-latest-small.zip.part").write_bytes(b"half")
    (tmp_path / ".ml-latest-small.extract-abc").mkdir()
    server.routes["/datasets/ml-latest-small.zip"] = archive.read_bytes()
    download_dataset("ml-latest-small", tmp_path, server.url, progress=False)
    assert [p.name for p in tmp_path.iterdir()] == ["ml-latest-small"]
