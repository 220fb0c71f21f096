"""JSON exports (an array of records, or an object holding one) read into cells."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ingest.readers import Flag, QuarantineError, Table, _finish, decode_text


def read_json_records(data: bytes, list_key: str) -> Table:
    notes: list[str] = []
    try:
        document = json.loads(decode_text(data, notes))
    except json.JSONDecodeError as exc:
        raise QuarantineError(f"unreadable JSON: {exc}") from exc
    except RecursionError as exc:
        raise QuarantineError("unreadable JSON: nested too deeply to be an export") from exc
    records = document.get(list_key) if isinstance(document, dict) else document
    if not isinstance(records, list):
        raise QuarantineError(f"JSON must be an array of objects or {{\"{list_key}\": [...]}}")
    if not records:
        raise QuarantineError("empty file: no records")
    if not all(isinstance(record, dict) for record in records):
        raise QuarantineError("JSON array holds something other than objects")
    frame = pd.DataFrame.from_records(records).astype(object)
    frame = frame.where(frame.notna(), None)
    header = [str(column) for column in frame.columns]
    frame.columns = range(len(header))
    cell_flags: dict[int, dict[int, Flag]] = {}
    for column in frame.columns:   # a nested object or array is not a cell value: kept as text, flagged
        values = frame[column]
        nested = values.map(lambda value: isinstance(value, (dict, list))).to_numpy(dtype=bool)
        if nested.any():
            frame.loc[nested, column] = [json.dumps(v, ensure_ascii=False) for v in values[nested]]
            cell_flags[column] = {int(row): ("nested_value", "a JSON object or array where one value belongs")
                                  for row in np.flatnonzero(nested)}
    return _finish(header, [frame[column].to_numpy(dtype=object) for column in frame.columns], notes,
                   cell_flags=cell_flags)
