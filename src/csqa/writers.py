"""Write a run's outputs atomically: everything goes to a temporary folder that replaces the
output folder only once every file is complete, so an interrupted run leaves no half-made file.

Tables can be written in pieces (``write`` appends), so a streaming run never holds all hits
in memory: parquet through one ``pyarrow.parquet.ParquetWriter`` per table, CSV by appending.
A run's spill files go to :meth:`RunWriter.scratch_dir`, inside the temporary folder, so they
are removed with it whether the run completes or not.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from types import TracebackType
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from csqa.errors import InputError
from csqa.types import PathLike, REJECT_COLUMNS

FORMATS = ("parquet", "csv")


def _arrow_schema(frame: pd.DataFrame | pa.Table) -> pa.Schema:
    """The arrow schema of ``frame``, with columns that are all null in it typed as strings."""
    table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    schema = table.schema.remove_metadata()
    return pa.schema([pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in schema])


class RunWriter:
    """Context manager that writes one run's files into ``DIR`` atomically.

    Parameters
    ----------
    out_dir : path
        The output folder; replaced as a whole when the run completes.
    format : {"parquet", "csv"}
        Table format for hits, calls and agents (rejects are always JSON lines).

    Examples
    --------
    >>> with RunWriter("out") as w:          # doctest: +SKIP
    ...     w.write("hits", hits_chunk)      # may be called many times per table
    ...     w.write_rejects(rejects)
    ...     w.write_manifest({"n_calls": 3})
    """

    def __init__(self, out_dir: PathLike, *, format: str = "parquet") -> None:
        if format not in FORMATS:
            raise InputError(f'format "{format}" is not one of: {", ".join(FORMATS)}')
        self.out_dir = Path(out_dir)
        self.format = format
        self.tmp_dir = self.out_dir.with_name(f"{self.out_dir.name}.tmp-{os.getpid()}")
        self._parquet: dict[str, pq.ParquetWriter] = {}
        self._schemas: dict[str, pa.Schema] = {}
        self._csv_started: set[str] = set()
        self._rejects = 0
        self._scratch: Path | None = None

    def __enter__(self) -> RunWriter:
        if self.tmp_dir.exists():
            shutil.rmtree(self.tmp_dir)
        self.tmp_dir.mkdir(parents=True)
        (self.tmp_dir / "rejects.jsonl").touch()
        return self

    def path(self, name: str) -> Path:
        """Where table ``name`` is being written (inside the temporary folder)."""
        return self.tmp_dir / f"{name}.{self.format}"

    def scratch_dir(self) -> Path:
        """A folder for the run's temporary files, removed before the output appears.

        Returns
        -------
        Path
            ``<tmp_dir>/_scratch`` (created on first call); it is deleted when the run ends,
            whether it completes or fails, and is never part of the output.
        """
        if self._scratch is None:
            self._scratch = self.tmp_dir / "_scratch"
            self._scratch.mkdir()
        return self._scratch

    def write(self, name: str, frame: pd.DataFrame | pa.Table) -> None:
        """Append ``frame`` (a DataFrame or an Arrow table) to table ``name``.

        The first piece fixes the columns and types; later pieces are cast to them.
        """
        if isinstance(frame, pa.Table) and self.format == "csv":
            frame = frame.to_pandas()
        if self.format == "csv":
            first = name not in self._csv_started
            frame.to_csv(self.path(name), mode="w" if first else "a", header=first, index=False)
            self._csv_started.add(name)
            return
        if name not in self._schemas:
            self._schemas[name] = _arrow_schema(frame)
            self._parquet[name] = pq.ParquetWriter(self.path(name), self._schemas[name])
        schema = self._schemas[name]
        if isinstance(frame, pa.Table):
            table = frame.select(schema.names).cast(schema)
        else:
            table = pa.Table.from_pandas(frame.reindex(columns=schema.names), schema=schema, preserve_index=False)
        self._parquet[name].write_table(table)

    def write_rejects(self, rejects: pd.DataFrame) -> None:
        """Append rejected records (file, line, call_id, reason_code, reason) as JSON lines."""
        if rejects is None or rejects.empty:
            return
        with open(self.tmp_dir / "rejects.jsonl", "a", encoding="utf-8") as fh:
            for rec in rejects.reindex(columns=list(REJECT_COLUMNS)).to_dict("records"):
                fh.write(json.dumps({k: (None if pd.isna(v) else v) for k, v in rec.items()}, ensure_ascii=False, default=str) + "\n")
        self._rejects += len(rejects)

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Write ``run.json`` (inputs, counts, versions, scorecard, timings)."""
        (self.tmp_dir / "run.json").write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")

    def write_text(self, name: str, text: str) -> None:
        """Write a text file (e.g. ``report.html``) into the run."""
        (self.tmp_dir / name).write_text(text, encoding="utf-8")

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        for writer in self._parquet.values():
            writer.close()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
        if exc_type is not None:
            shutil.rmtree(self.tmp_dir, ignore_errors=True)
            return
        old = self.out_dir.with_name(f"{self.out_dir.name}.old-{os.getpid()}")
        if self.out_dir.exists():
            os.replace(self.out_dir, old)
        os.replace(self.tmp_dir, self.out_dir)
        shutil.rmtree(old, ignore_errors=True)


def read_run_table(folder: PathLike, name: str) -> pd.DataFrame:
    """Read table ``name`` (``hits``, ``calls``, ``agents``) back from a scored output folder.

    Raises
    ------
    InputError
        When the folder holds no such table in any of :data:`FORMATS`.
    """
    folder = Path(folder)
    for suffix, reader in ((".parquet", pd.read_parquet), (".csv", pd.read_csv)):
        path = folder / f"{name}{suffix}"
        if path.exists():
            return reader(path)
    raise InputError(f"{folder}: no {name}.parquet or {name}.csv; is it a csqa score output folder?")
