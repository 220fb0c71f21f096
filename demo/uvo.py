"""UKM Virtual Expo transaction exports: csv (comma, then Excel's semicolon) and JSON."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from demo.cells import (DAY, _arrow, _at, _cat, _daily_weights, _day, _digits, _fmt_time, _grouped, _join_chars,
                        _month_index, _np, _sample_days, _select, _str, _take, _where)
from demo.common import UVO, UVO_PER_SCALE, _World, _bad_rows, _few
from demo.files import _Landing, _csv_bytes


UVO_COUNTRIES = [  # (country, currencies, currency weights, weight)
    ("ID", ["IDR"], [1.0], 0.40), ("SG", ["SGD", "USD"], [0.8, 0.2], 0.10), ("MY", ["MYR", "USD"], [0.85, 0.15], 0.10),
    ("JP", ["JPY"], [1.0], 0.07), ("US", ["USD"], [1.0], 0.08), ("AU", ["AUD", "USD"], [0.85, 0.15], 0.06),
    ("NL", ["EUR"], [1.0], 0.04), ("DE", ["EUR"], [1.0], 0.03), ("SA", ["SAR", "USD"], [0.6, 0.4], 0.04),
    ("HK", ["HKD", "USD"], [0.7, 0.3], 0.04), ("CN", ["CNY", "USD"], [0.7, 0.3], 0.04)]
UVO_COLUMNS = ["id_transaksi", "id_peserta", "nama_peserta", "tanggal_transaksi", "negara_pembeli",
               "mata_uang", "nilai", "status"]


def _uvo_frame(world: _World) -> pd.DataFrame:
    rng = world.rng("uvo")
    e, pop, ref = world.enrolled, world.pop, world.ref
    exhibitors = e[e["program"] == UVO].sort_values("merchant", kind="stable")
    m = len(exhibitors)
    weight = np.exp(rng.normal(0, 1.0, m)) * (rng.random(m) > 0.15)
    n = UVO_PER_SCALE * world.scale
    who = np.repeat(np.arange(m), rng.multinomial(n, weight / weight.sum()))
    first_day, last_day = _day(2021, 1, 1), _day(2021, 12, 31)
    joined = exhibitors["joined"].to_numpy()[who]
    expo = [(_day(2021, 4, 19), _day(2021, 4, 25), 6), (_day(2021, 8, 16), _day(2021, 8, 22), 6),
            (_day(2021, 11, 22), _day(2021, 11, 28), 6)]     # the three virtual expo weeks
    day = first_day + _sample_days(rng, joined - first_day, np.full(n, last_day - first_day + 1),
                                   _daily_weights(first_day, last_day - first_day + 1, expo, 1.0))
    local = day * DAY + rng.integers(8 * 3600, 22 * 3600, n)
    country_i = rng.choice(len(UVO_COUNTRIES), n, p=[c[3] for c in UVO_COUNTRIES])
    currency = np.empty(n, dtype=object)
    for i, (_, currencies, weights, _) in enumerate(UVO_COUNTRIES):
        mask = country_i == i
        currency[mask] = rng.choice(np.array(currencies, dtype=object), int(mask.sum()), p=weights)
    fx = pd.Series(ref.fx)
    month = _np(_fmt_time(local, "%Y-%m"))
    rate = fx.to_numpy()[fx.index.get_indexer(pd.MultiIndex.from_arrays([month, currency]))]
    value_idr = 2_500_000 * np.exp(rng.normal(0, 1.0, n)) * np.where(country_i == 0, 0.5, 1.5)
    value = value_idr / rate
    value = np.select([currency == "IDR", currency == "JPY"],
                      [np.round(value / 1000) * 1000, np.round(value / 10) * 10], np.round(value, 2))
    status = rng.choice(np.array(["lunas", "menunggu", "batal"], dtype=object), n, p=[0.82, 0.08, 0.10])
    order = np.argsort(local, kind="stable")
    serial = np.arange(1, n + 1) * 7 + 100_000
    ids = _cat("UVO21-", _join_chars([_digits(serial, len(str(int(serial[-1]))))], n))
    frame = pd.DataFrame({
        "id_transaksi": _np(ids),
        "id_peserta": _np(_take(world.merchant_ids(exhibitors), who[order])),
        "nama_peserta": _np(pop.business_names(exhibitors["pop"].to_numpy()[who[order]])),
        "local": local[order],
        "negara_pembeli": np.array([c[0] for c in UVO_COUNTRIES], dtype=object)[country_i][order],
        "mata_uang": currency[order],
        "value": value[order],
        "status": status[order],
        "bad": np.zeros(n, np.int8),
    })
    xyz, negative, text = _bad_rows(rng, n, _few(n, 2000), _few(n, 2000), _few(n, 2000))
    frame.loc[xyz, "mata_uang"] = "XYZ"
    frame.loc[negative, "bad"] = 1
    frame.loc[text, "bad"] = 2
    return frame


def _uvo_values(frame: pd.DataFrame, style: str) -> pa.Array:
    """nilai as text: 'plain' (1250.5, 15000000) or 'id' (2.273,67 / 15.000.000)."""
    value = frame["value"].to_numpy()
    n = len(value)
    whole = np.floor(value).astype(np.int64)
    cents = np.round((value - whole) * 100).astype(np.int64)
    cents_text = _join_chars([_digits(cents, 2)], n)
    if style == "id":
        text = _where(cents > 0, _cat(_grouped(whole), ",", cents_text), _grouped(whole))
    else:
        text = _where(cents > 0, _cat(_str(whole), ".", cents_text), _str(whole))
    bad = frame["bad"].to_numpy()
    currency = _arrow(frame["mata_uang"].to_numpy())
    return _select([bad == 1, bad == 2], [_cat("-", text), _cat(currency, " ", text)], text)


def _write_uvo(out: _Landing, world: _World) -> None:
    frame = _uvo_frame(world)
    out.count("uvo", transactions=len(frame))
    local = frame["local"].to_numpy()
    quarter = (_month_index(local // DAY) - _month_index(_day(2021, 1, 1))) // 3
    for q in range(4):
        part = frame[quarter == q]
        when = _at(2021 + (q + 1) // 4, (3 * (q + 1)) % 12 + 1, 11, 10, 0)      # ~10 days after the quarter
        base = f"uvo/transaksi_uvo_2021_q{q + 1}"

        def table(time_format: str, style: str, part=part) -> dict:
            return {"id_transaksi": _arrow(part["id_transaksi"].to_numpy()),
                    "id_peserta": _arrow(part["id_peserta"].to_numpy()),
                    "nama_peserta": _arrow(part["nama_peserta"].to_numpy()),
                    "tanggal_transaksi": _fmt_time(part["local"].to_numpy(), time_format),
                    "negara_pembeli": _arrow(part["negara_pembeli"].to_numpy()),
                    "mata_uang": _arrow(part["mata_uang"].to_numpy()),
                    "nilai": _uvo_values(part, style),
                    "status": _arrow(part["status"].to_numpy())}

        if q == 0:    # comma csv, ISO local times
            out.put(base + ".csv", _csv_bytes(table("%Y-%m-%d %H:%M:%S", "plain")), when, len(part))
        elif q == 1:  # semicolon csv from Excel: dd/mm/yyyy and Indonesian number format
            out.put(base + ".csv", _csv_bytes(table("%d/%m/%Y %H:%M", "id"), sep=";", bom=True, line="\r\n"),
                    when, len(part))
        else:         # the expo platform's API: JSON, numbers as numbers (text where broken)
            bad = part["bad"].to_numpy()
            value = part["value"].to_numpy()
            number = value.astype(object)
            whole = value == np.floor(value)
            number[whole] = value[whole].astype(np.int64).astype(object)
            number[bad == 1] = -number[bad == 1]
            records = part[UVO_COLUMNS[:3]].assign(
                tanggal_transaksi=_np(_fmt_time(part["local"].to_numpy(), "%Y-%m-%dT%H:%M:%S+07:00")),
                negara_pembeli=part["negara_pembeli"], mata_uang=part["mata_uang"],
                nilai=np.where(bad == 2, _np(_uvo_values(part, "plain")), number), status=part["status"])
            body = records.to_json(orient="records", force_ascii=False, indent=2 if q == 2 else 0)
            text = body if q == 2 else '{"sumber": "uvo.kemenkopukm.go.id", "transaksi": ' + body + "}"
            out.put(base + ".json", text.encode("utf-8"), when, len(records))
    # an old .xls workbook saved under a .csv name: binary, quarantined
    rng = world.rng("uvo-broken")
    garbage = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + rng.integers(0, 256, 4088, dtype=np.uint8).tobytes()
    out.put("uvo/rekap_transaksi_uvo_november.csv", garbage, _at(2021, 12, 2, 15, 40), kind="broken")
