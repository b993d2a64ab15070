"""Atomic, resumable, verified result files: one small table per (test, gene), then tidy tables.

Layout under a results root (e.g. ``results/synthetic/``)::

    <root>/<cell_line>/<test>/<gene_id>.csv      per-gene parts, written atomically
    <root>/<cell_line>/<test>/<gene_id>.json     its manifest: sha256, rows, creme_lib version, settings
    <root>/<cell_line>/<test>/<gene_id>.lock     only while a process computes the part
    <root>/<cell_line>/<table>.csv               a cell line's collected tables (ResultStore.table_path)
    <root>/<table>.csv                           tables of all cell lines, in the published schema

A part is written to a temporary file in the same directory and renamed into place, then its
manifest, so a run killed at any moment leaves either a whole, described part or one that is
recomputed. A part counts as done only if its content matches its manifest's sha256 and the
manifest's creme_lib version and settings (the ``provenance`` a run passes: seed, shuffles,
model, ...) match the current run's; anything else (truncated, edited, written by another
version or configuration, no manifest) is named in the log and recomputed, and
:meth:`ResultStore.collect` refuses to merge it.

While a process computes a part it holds an exclusive ``flock`` on the part's ``.lock`` file.
Another process (a second run on the same folder, an overlapping shard) skips that part and
waits for it at the end, naming the lock and its owner if the wait times out; it never writes
the same part at the same time. The kernel releases the lock of a killed process, so a stale
``.lock`` file is detected (it can be locked) and cleared.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import socket
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from creme_lib import __version__

_SAFE = re.compile(r"[^A-Za-z0-9_.+-]")
log = logging.getLogger("creme_lib.store")


def safe_name(name: str) -> str:
    """A file-name-safe version of a gene or test id (``/`` and spaces become ``_``)."""
    if not name:
        raise ValueError("empty name")
    return _SAFE.sub("_", str(name))


_HOST = socket.gethostname().replace(".", "_")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


_TMP = re.compile(r"^\.(?P<name>.+)\.(?P<host>[^.]+)-(?P<pid>\d+)\.[^.]+\.tmp$")
_CLEARED: set[Path] = set()


def clear_stale_temps(folder: str | os.PathLike, force: bool = False) -> list[Path]:
    """Remove temporary files left in ``folder`` by killed writers on this host; returns them.

    A writer names its temporary file ``.<name>.<host>-<pid>.<random>.tmp``; one whose
    process no longer runs will never be renamed into place. Files of other hosts (a shared
    cluster file system) and of live processes are left alone; this assumes a host's writers
    share its pid namespace. A folder is scanned once per process (``force`` scans again), so
    writing many parts costs one directory listing, not one per part.
    """
    folder = Path(folder)
    if folder in _CLEARED and not force:
        return []
    _CLEARED.add(folder)
    gone = []
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(folder):
            m = _TMP.match(entry.name) if entry.name.endswith(".tmp") else None
            if m and m["host"] == _HOST and not _pid_alive(int(m["pid"])):
                Path(entry.path).unlink(missing_ok=True)
                gone.append(Path(entry.path))
    return gone


def _atomic_write_bytes(data: bytes, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    clear_stale_temps(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{_HOST.replace('.', '_')}-{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; results are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_csv(df: pd.DataFrame, path: str | os.PathLike, **to_csv) -> Path:
    """Write ``df`` to ``path`` via a temporary file and ``os.replace`` (atomic on POSIX)."""
    index = to_csv.pop("index", False)
    return _atomic_write_bytes(df.to_csv(index=index, **to_csv).encode(), Path(path))


def atomic_write_json(obj: Any, path: str | os.PathLike) -> Path:
    """Write ``obj`` as indented, key-sorted JSON to ``path`` atomically (see :func:`atomic_write_csv`)."""
    return _atomic_write_bytes(json.dumps(obj, indent=1, sort_keys=True).encode(), Path(path))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _jsonable(d: Mapping[str, Any] | None) -> dict[str, Any]:
    """Settings as they read back from JSON (tuples become lists), for comparison."""
    return json.loads(json.dumps(dict(d or {}), default=str, sort_keys=True))


class PartError(RuntimeError):
    """A part that cannot be merged: corrupted, foreign, or missing its manifest."""


class LockTimeout(TimeoutError):
    """Another live process held a part's lock for longer than the store waits."""


class ResultStore:
    """Per-(cell line, test, gene) parts under ``root``, and the tables collected from them.

    Parameters
    ----------
    root : path-like
        The results folder of one model (``results/<model>``).
    wait_s : float
        How long :meth:`run` waits for parts another live process is computing (s).
    poll_s : float
        Polling interval of that wait (s).
    """

    def __init__(self, root: str | os.PathLike, wait_s: float = 6 * 3600.0, poll_s: float = 0.5):
        self.root = Path(root)
        self.wait_s = float(wait_s)
        self.poll_s = float(poll_s)

    # ------------------------------------------------------------------- paths
    def part(self, cell_line: str, test: str, gene: str) -> Path:
        return self.root / safe_name(cell_line) / safe_name(test) / f"{safe_name(gene)}.csv"

    def manifest(self, cell_line: str, test: str, gene: str) -> Path:
        return self.part(cell_line, test, gene).with_suffix(".json")

    def lock(self, cell_line: str, test: str, gene: str) -> Path:
        return self.part(cell_line, test, gene).with_suffix(".lock")

    # --------------------------------------------------------------- verification
    def check(self, cell_line: str, test: str, gene: str, provenance: Mapping[str, Any] | None = None) -> str | None:
        """Why the part cannot be used, or ``None`` when it is complete and this run's.

        Returns
        -------
        str or None
            ``"missing"``, or a sentence naming what is wrong (no manifest, content that
            differs from its sha256, another creme_lib version, another setting).
        """
        path = self.part(cell_line, test, gene)
        if not path.is_file():
            return "missing"
        mpath = path.with_suffix(".json")
        if not mpath.is_file():
            return "has no manifest (a write interrupted before it, or a part from before manifests)"
        try:
            meta = json.loads(mpath.read_text())
        except (OSError, ValueError):
            return "has an unreadable manifest"
        if not isinstance(meta, dict):
            return "has an unreadable manifest"
        if meta.get("sha256") != _sha256(path):
            return "differs from its manifest's sha256 (truncated or edited)"
        if meta.get("creme_lib") != __version__:
            return f"was written by creme_lib {meta.get('creme_lib')} (this is {__version__})"
        want, have = _jsonable(provenance), meta.get("provenance", {})
        diff = [k for k in sorted(set(want) | set(have)) if want.get(k) != have.get(k)]
        if diff:
            k = diff[0]
            return f"was written with {k}={have.get(k)!r} (this run: {want.get(k)!r})"
        return None

    def done(self, cell_line: str, test: str, gene: str, provenance: Mapping[str, Any] | None = None) -> bool:
        return self.check(cell_line, test, gene, provenance) is None

    # ---------------------------------------------------------------- reading/writing
    def write(
        self, cell_line: str, test: str, gene: str, df: pd.DataFrame, provenance: Mapping[str, Any] | None = None
    ) -> Path:
        """The part, then its manifest, each atomically."""
        path = atomic_write_csv(df, self.part(cell_line, test, gene))
        meta = {"sha256": _sha256(path), "rows": int(len(df)), "creme_lib": __version__, "provenance": _jsonable(provenance)}
        atomic_write_json(meta, path.with_suffix(".json"))
        return path

    def read(self, cell_line: str, test: str, gene: str, provenance: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """A verified part.

        Raises
        ------
        PartError
            Naming the part and what is wrong with it.
        """
        why = self.check(cell_line, test, gene, provenance)
        if why is not None:
            raise PartError(f"part {self.part(cell_line, test, gene)} {why}; rerun the step to recompute it")
        return pd.read_csv(self.part(cell_line, test, gene))

    def genes_done(self, cell_line: str, test: str) -> list[str]:
        d = self.root / safe_name(cell_line) / safe_name(test)
        return sorted(p.stem for p in d.glob("*.csv")) if d.exists() else []

    def collect(
        self,
        cell_line: str,
        test: str,
        genes: Iterable[str] | None = None,
        provenance: Mapping[str, Any] | None = None,
    ) -> pd.DataFrame:
        """Concatenate verified parts in sorted gene order (independent of the order they were run in).

        With ``genes`` given, parts of other genes in the folder (e.g. of a larger earlier run)
        are left out and logged.

        Raises
        ------
        PartError
            For a listed part that is missing, corrupted or foreign.
        """
        names = sorted(safe_name(g) for g in genes) if genes is not None else self.genes_done(cell_line, test)
        if genes is not None:
            stray = sorted(set(self.genes_done(cell_line, test)) - set(names))
            if stray:
                log.info("%s %s: %d parts of genes outside the current set left out (e.g. %s)",
                         cell_line, test, len(stray), stray[0])
        frames = [self.read(cell_line, test, n, provenance) for n in names]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    # ------------------------------------------------------------------- tables
    def table_path(self, cell_line: str | None, name: str) -> Path:
        """Where table ``name`` lives: ``<root>/<cell_line>/<name>.csv``, or ``<root>/<name>.csv``
        for ``cell_line=None`` (a table of all cell lines).

        ``name`` may contain ``/`` subfolders (``"greedy_search/min_traces"``); the cell
        line goes through :func:`safe_name`, as in the parts' paths.
        """
        folder = self.root if cell_line is None else self.root / safe_name(cell_line)
        return folder / f"{name}.csv"

    def write_table(self, cell_line: str | None, name: str, df: pd.DataFrame, index: bool = False) -> Path:
        """Write table ``name`` of ``cell_line`` (``None``: of all cell lines) atomically."""
        return atomic_write_csv(df, self.table_path(cell_line, name), index=index)

    def read_table(self, cell_line: str | None, name: str, index_col: int | None = None) -> pd.DataFrame:
        """Table ``name`` of ``cell_line`` (``None``: of all cell lines).

        Raises
        ------
        FileNotFoundError
            Naming the file.
        """
        path = self.table_path(cell_line, name)
        if not path.is_file():
            raise FileNotFoundError(f"table not found: {path}")
        return pd.read_csv(path, index_col=index_col)

    # -------------------------------------------------------------------- locking
    @contextlib.contextmanager
    def _locked(self, cell_line: str, test: str, gene: str) -> Iterator[bool]:
        """Hold the part's lock if no live process does; yields whether it was acquired."""
        path = self.lock(cell_line, test, gene)
        path.parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(100):
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                yield False
                return
            except OSError as err:
                os.close(fd)
                raise OSError(f"cannot lock {path} ({err}); the results folder needs a file system with flock") from None
            # The holder before us may have unlinked the file after we opened it: then our
            # lock is on a dead inode and a third process may lock the new file. Retry.
            try:
                same = os.fstat(fd).st_ino == os.stat(path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        else:
            raise OSError(f"cannot lock {path}: its inode keeps changing (100 attempts); is the file system coherent?")
        try:
            stale = os.read(fd, 4096).decode(errors="replace").strip()
            if stale:
                log.warning("%s %s %s: cleared a stale lock left by a killed process (%s)", cell_line, test, gene, stale)
            owner = f"pid {os.getpid()} on {socket.gethostname()} since {time.strftime('%Y-%m-%d %H:%M:%S')}"
            os.ftruncate(fd, 0)
            os.pwrite(fd, owner.encode(), 0)
            yield True
        finally:
            path.unlink(missing_ok=True)
            os.close(fd)

    def owner(self, cell_line: str, test: str, gene: str) -> str:
        """Who holds (or last held) a part's lock, as written in its ``.lock`` file."""
        try:
            return self.lock(cell_line, test, gene).read_text().strip() or "unknown owner"
        except OSError:
            return "no owner (lock released)"

    # ----------------------------------------------------------------------- run
    def run(
        self,
        cell_line: str,
        test: str,
        genes: Iterable[str],
        fn: Callable[[str], pd.DataFrame],
        progress: bool = True,
        provenance: Mapping[str, Any] | None = None,
    ) -> list[str]:
        """Compute ``fn(gene)`` for every gene whose part is not done, writing each atomically.

        Parts that exist but fail :meth:`check` are named in the log and recomputed. Parts
        another live process is computing are skipped, then waited for.

        Returns
        -------
        list of str
            The genes computed in this call (the rest were done, here or elsewhere).

        Raises
        ------
        LockTimeout
            If a part stays locked by another process for more than ``wait_s``.
        """
        todo, bad = [], []
        for g in genes:
            why = self.check(cell_line, test, g, provenance)
            if why is not None:
                todo.append(g)
                if why != "missing":
                    bad.append(f"{self.part(cell_line, test, g).name} {why}")
        if bad:
            log.warning("%s %s: recomputing %d parts: %s%s", cell_line, test, len(bad), "; ".join(bad[:3]),
                        " ..." if len(bad) > 3 else "")
        it: Iterable[str] = todo
        if progress and todo:
            from tqdm.auto import tqdm

            it = tqdm(todo, desc=f"{test} {cell_line}", unit="gene")
        computed, busy = [], []
        for g in it:
            got = self._compute(cell_line, test, g, fn, provenance)
            if got is None:
                busy.append(g)
            elif got:
                computed.append(g)
        deadline = time.monotonic() + self.wait_s
        while busy:
            g = busy[0]
            if self.done(cell_line, test, g, provenance):
                busy.pop(0)
                continue
            got = self._compute(cell_line, test, g, fn, provenance)
            if got is not None:  # the other process is gone and left the part undone
                if got:
                    computed.append(g)
                busy.pop(0)
                continue
            if time.monotonic() > deadline:
                raise LockTimeout(
                    f"part {self.part(cell_line, test, g)} is being computed by another process "
                    f"({self.owner(cell_line, test, g)}; lock {self.lock(cell_line, test, g)}), waited "
                    f"{self.wait_s:.0f} s; is a second run using this results folder?"
                )
            time.sleep(self.poll_s)
        return computed

    def _compute(self, cell_line, test, gene, fn, provenance) -> bool | None:
        """Under the part's lock: compute and write it unless done. ``None``: locked by another
        process; ``True``: computed here; ``False``: found done once locked."""
        with self._locked(cell_line, test, gene) as got:
            if not got:
                return None
            if self.done(cell_line, test, gene, provenance):
                return False
            self.write(cell_line, test, gene, fn(gene), provenance)
            return True
