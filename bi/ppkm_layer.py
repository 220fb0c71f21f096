"""The PPKM periods as Superset's annotation layer "Periode PPKM" (used by `bi/start.py`).

One source of truth: the dbt seed `dbt_project/seeds/restriction_periods.csv`, the periods that
`mart_restriction_periods` is built from. At each start the layer is written anew from it, and
the charts' annotation layers are pointed at it: Superset's importer drops them (it cannot
resolve a layer's id), so they are put back in the charts' params and stored query contexts.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
ANNOTATION_LAYER = "Periode PPKM"
PERIODS_SEED = ROOT / "dbt_project" / "seeds" / "restriction_periods.csv"
COLUMNS = {"period_id", "period_name", "start_date", "end_date"}


def ppkm_periods(path: Path = PERIODS_SEED) -> list[dict]:
    """The seed's rows; a ValueError that says what is wrong when it is missing or not the seed."""
    if not path.is_file():
        raise ValueError(f"no PPKM periods at {path}: the dbt seed restriction_periods.csv is missing")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    missing = COLUMNS - set(rows[0] if rows else ())
    if missing:
        raise ValueError(f"{path} has no column(s) {', '.join(sorted(missing))}")
    return rows


def annotation_layers(chart: dict, layer_id: int) -> list[dict]:
    """The chart's native annotation layers, pointed at the PPKM layer of this Superset."""
    layers = [dict(layer) for layer in chart.get("params", {}).get("annotation_layers") or []
              if layer.get("annotationType") != "FORMULA"]
    for layer in layers:
        if layer.get("sourceType") == "NATIVE" and layer.get("name") == ANNOTATION_LAYER:
            layer["value"] = layer_id
    return layers


def write_layer() -> int:
    """The PPKM periods as a native annotation layer, rewritten at each start; its id."""
    from datetime import datetime, timedelta

    from superset.extensions import db
    from superset.models.annotations import Annotation, AnnotationLayer
    periods = ppkm_periods()
    layer = db.session.query(AnnotationLayer).filter_by(name=ANNOTATION_LAYER).one_or_none()
    if layer is None:
        layer = AnnotationLayer(name=ANNOTATION_LAYER)
        db.session.add(layer)
    layer.descr = ("Pemberlakuan Pembatasan Kegiatan Masyarakat (PPKM), dari "
                   f"{PERIODS_SEED.relative_to(ROOT).as_posix()}")
    db.session.flush()
    db.session.query(Annotation).filter_by(layer_id=layer.id).delete()
    for period in periods:
        start = datetime.fromisoformat(period["start_date"])
        end = datetime.fromisoformat(period["end_date"]) + timedelta(days=1) - timedelta(seconds=1)
        db.session.add(Annotation(layer_id=layer.id, short_descr=period["period_name"], start_dttm=start,
                                  end_dttm=end, long_descr=period.get("note") or None))
    db.session.commit()
    return layer.id


def restore_annotations(contents: dict[str, str], layer_id: int) -> None:
    """Put the charts' PPKM intervals back, in their params and in their stored query context."""
    from superset.extensions import db
    from superset.models.slice import Slice
    for name, text in contents.items():
        if not name.startswith("charts/"):
            continue
        config = yaml.safe_load(text)
        layers = annotation_layers(config, layer_id)
        if not layers:
            continue
        chart = db.session.query(Slice).filter_by(uuid=config["uuid"]).one()
        params = json.loads(chart.params or "{}")
        params["annotation_layers"] = layers
        chart.params = json.dumps(params)
        if chart.query_context:
            context = json.loads(chart.query_context)
            context.setdefault("form_data", {})["annotation_layers"] = layers
            for query in context.get("queries", []):
                query["annotation_layers"] = layers
            chart.query_context = json.dumps(context)
    db.session.commit()
