"""Download GroupLens MovieLens archives: verified, with a progress bar, extracted atomically.

The archive streams to a hidden ``.part`` file beside the target while its MD5 is computed; it
is checked against a pinned checksum (or the ``.md5`` file GroupLens publishes beside each
archive), tested, extracted into a hidden temporary folder and only then renamed into place.
An interrupted, truncated or corrupt download therefore never leaves a half-written dataset
folder; leftovers of an earlier attempt are cleaned up on the next one.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from tqdm import tqdm

from recommender.errors import DownloadError

log = logging.getLogger(__name__)

KNOWN_DATASETS = (
    "ml-latest-small",
    "ml-latest",
    "ml-100k",
    "ml-1m",
    "ml-10m",
    "ml-20m",
    "ml-25m",
    "ml-32m",
)
# Pinned where we have verified the archive; the others use GroupLens' published .md5 file.
PINNED_MD5 = {"ml-latest-small": "91f91ad0f0846e764ddf79cf44a0cbe1"}
# GroupLens names ml-10m's folder differently from its archive.
ARCHIVE_FOLDER = {"ml-10m": "ml-10M100K"}
TIMEOUT = 30
CHUNK = 1 << 16


def ensure_dataset(folder: Path, base_url: str, progress: bool = True) -> Path:
    """Return ``folder``, downloading it first when it is missing and is a known dataset."""
    if folder.is_dir() and any(folder.iterdir()):
        return folder
    if folder.name not in KNOWN_DATASETS:
        raise DownloadError(
            f"No MovieLens data at {folder}. Point MOVIEBOT_DATA_DIR (or --data-dir) at a folder "
            f"with ratings.csv and movies.csv, or name one of {', '.join(KNOWN_DATASETS)} to "
            "have it downloaded."
        )
    log.info("%s not found; downloading it from GroupLens", folder)
    return download_dataset(folder.name, folder.parent, base_url, progress=progress)


def download_dataset(name: str, dest: Path, base_url: str, progress: bool = True) -> Path:
    """Download ``name``.zip from ``base_url`` into ``dest/name``; verified and atomic."""
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / name
    url = f"{base_url.rstrip('/')}/{name}.zip"
    _clean_leftovers(dest, name)
    part = dest / f".{name}.zip.part"
    try:
        expected = PINNED_MD5.get(name) or _published_md5(url)
        actual = _fetch(url, part, progress)
        if actual != expected:
            raise DownloadError(
                f"The download of {url} is corrupt or incomplete (MD5 {actual}, expected "
                f"{expected}). Nothing was kept; please try again."
            )
        _extract(part, name, target)
    except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as err:
        raise DownloadError(_offline_message(url, target, err)) from err
    finally:
        part.unlink(missing_ok=True)
    log.info("downloaded and verified %s into %s", name, target)
    return target


def _fetch(url: str, part: Path, progress: bool) -> str:
    """Stream ``url`` to ``part``; returns the MD5; refuses a body shorter than announced."""
    digest = hashlib.md5(usedforsecurity=False)
    with urllib.request.urlopen(url, timeout=TIMEOUT) as response, part.open("wb") as out:
        total = int(response.headers.get("Content-Length") or 0) or None
        received = 0
        with tqdm(
            total=total,
            unit="B",
            unit_scale=True,
            desc=f"downloading {Path(url).name}",
            disable=not progress,
            leave=False,
        ) as bar:
            while chunk := response.read(CHUNK):
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                bar.update(len(chunk))
    if total is not None and received != total:
        raise DownloadError(
            f"The download of {url} stopped after {received:,} of {total:,} bytes. "
            "Nothing was kept; please try again."
        )
    return digest.hexdigest()


def _published_md5(url: str) -> str:
    with urllib.request.urlopen(f"{url}.md5", timeout=TIMEOUT) as response:
        text = response.read().decode("ascii", errors="replace")
    for word in text.split():
        if len(word) == 32 and all(c in "0123456789abcdef" for c in word.lower()):
            return word.lower()
    raise DownloadError(f"{url}.md5 holds no MD5 checksum; cannot verify the download.")


def _extract(archive: Path, name: str, target: Path) -> None:
    """Unzip into a temporary sibling folder, then rename it into place in one step."""
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.extract-", dir=target.parent))
    try:
        with zipfile.ZipFile(archive) as bundle:
            if (broken := bundle.testzip()) is not None:
                raise DownloadError(f"{archive.name} is corrupt ({broken} fails its CRC check).")
            bundle.extractall(staging)
        inner = staging / ARCHIVE_FOLDER.get(name, name)
        source = inner if inner.is_dir() else staging
        if target.exists():
            target.rmdir()  # an empty folder only; a non-empty one was never replaced
        source.replace(target)
    except zipfile.BadZipFile as err:
        raise DownloadError(f"{archive.name} is not a valid zip archive ({err}).") from err
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _clean_leftovers(dest: Path, name: str) -> None:
    for leftover in dest.glob(f".{name}.*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


def _offline_message(url: str, target: Path, err: Exception) -> str:
    reason = err.reason if isinstance(err, urllib.error.URLError) else repr(err)
    return (
        f"Could not download {url} ({reason}). If this machine is offline, download that file "
        f"elsewhere, unzip it so that {target / 'ratings.csv'} exists (or set "
        "MOVIEBOT_DATA_DIR to any MovieLens folder), and run again."
    )
