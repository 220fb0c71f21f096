"""KoboToolbox exports of the UMKM impact survey: two waves (2020-06 and 2021-03), csv and xlsx."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from demo.cells import (DAY, WIB, _ALNUM, _at, _cat, _const, _day, _distinct_ints, _fmt_time, _grouped, _lit, _np,
                        _pick, _replace, _round_nice, _select, _str, _take, _uuid4, _where)
from demo.common import SECTOR_CHOICES, _Population, _World, _bad_rows, _few
from demo.files import XLSX_MAX_ROWS, _Landing, _csv_bytes, _rows_of, _table_xcols, _xlsx_bytes


CONSTRAINT_CHOICES = ["pemasaran", "permodalan", "bahan_baku", "distribusi", "produksi", "sdm", "lainnya"]
CONSTRAINT_WEIGHTS = [0.53, 0.22, 0.09, 0.07, 0.04, 0.03, 0.02]
PLATFORM_CHOICES = ["gofood", "shopee", "tokopedia", "grabfood", "whatsapp", "instagram", "lainnya"]
SCALE_CHOICES = ["mikro", "kecil", "menengah"]

KOBO_COLUMNS = (["start", "end", "periode_survei", "nik_pemilik", "nama_pemilik", "no_hp", "nib",
                 "nama_usaha", "kode_kabkota", "kabupaten_kota", "sektor_usaha", "skala_usaha",
                 "terdampak_covid", "kendala_utama", "kendala"]
                + [f"kendala/{c}" for c in CONSTRAINT_CHOICES]
                + ["omzet_sebelum", "omzet_sesudah", "tenaga_kerja_sebelum", "tenaga_kerja_sesudah",
                   "platform_digital"]
                + [f"platform_digital/{p}" for p in PLATFORM_CHOICES]
                + ["_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status",
                   "_submitted_by", "__version__", "_tags", "_index"])
KOBO_FILE = "Pendataan_UMKM_Terdampak_Covid-19_-_all_versions_-_False_-_{stamp}"
KOBO_REGION_FILE = "Pendataan_UMKM_Terdampak_Covid-19_{code}_-_all_versions_-_False_-_{stamp}"
VALIDATION = ["validation_status_approved", "", "validation_status_on_hold", "validation_status_not_approved"]


def _money_text(values, rng, weights=(0.25, 0.27, 0.15, 0.04, 0.04, 0.25)) -> pa.Array:
    """Money as people type it: '15000000', '15.000.000', 'Rp 15.000.000', 'Rp. 15000000',
    'Rp15.000.000', '15 juta' / '2,5 juta' / '2,5 miliar'."""
    v = np.asarray(values, dtype=np.int64)
    form = rng.choice(6, len(v), p=np.asarray(weights) / sum(weights))
    dotted = _grouped(v)
    plain = _str(v)
    millions, tenths = v // 10**6, (v // 10**5) % 10
    juta = _cat(_str(millions), _where(tenths > 0, _cat(",", _str(tenths)), ""), " juta")
    billions, b_tenths = v // 10**9, (v // 10**8) % 10
    miliar = _cat(_str(billions), _where(b_tenths > 0, _cat(",", _str(b_tenths)), ""), " miliar")
    words = _select([(v >= 10**9) & (v % 10**8 == 0), (v >= 10**6) & (v % 10**5 == 0) & (v < 10**9)],
                    [miliar, juta], dotted)
    return _select([form == 0, form == 1, form == 2, form == 3, form == 4],
                   [plain, dotted, _cat("Rp ", dotted), _cat("Rp. ", plain), _cat("Rp", dotted)], words)


@dataclass
class _Wave:
    period: str
    pop: np.ndarray                  # population index per submission
    start: np.ndarray                # epoch seconds (UTC)
    start_ms: np.ndarray
    end: np.ndarray
    end_ms: np.ndarray
    submitted: np.ndarray
    impacted: np.ndarray
    primary: np.ndarray              # constraint index or -1
    constraints: np.ndarray          # (n, 7) bool
    before: np.ndarray
    after: np.ndarray
    workers_before: np.ndarray
    workers_after: np.ndarray
    platforms: np.ndarray            # (n, 7) bool
    reports_nib: np.ndarray
    validation: np.ndarray           # index into VALIDATION
    submitted_by: np.ndarray         # enumerator number, 0 for none
    uuid: pa.Array
    ids: np.ndarray
    version: str


def _survey_wave(rng, pop: _Population, respondents: np.ndarray, period: str, first_day: int, n_days: int,
                 impact_food: float, impact_other: float, online_boost: float) -> _Wave:
    n0 = len(respondents)
    # some UMKM answer twice: the second submission comes days later with changed answers
    twice = rng.random(n0) < 0.03
    idx = np.concatenate([respondents, respondents[twice]])
    n = len(idx)
    day = first_day + rng.integers(0, n_days, n0)
    local_start = day * DAY + rng.integers(7 * 3600, 17 * 3600, n0)
    start = np.concatenate([local_start, local_start[twice] + rng.integers(1, 6, int(twice.sum())) * DAY
                            + rng.integers(-3 * 3600, 3 * 3600, int(twice.sum()))]) - WIB
    duration = rng.integers(4 * 60, 25 * 60, n)
    end = start + duration
    lag = np.where(rng.random(n) < 0.85, rng.integers(1, 600, n), rng.integers(3600, 3 * DAY, n))  # offline sync
    submitted = end + lag

    food = pop.sector[idx] == 0
    first_impacted = rng.random(n0) < np.where(food[:n0], impact_food, impact_other)
    impacted = np.concatenate([first_impacted, first_impacted[twice]])
    primary = rng.choice(len(CONSTRAINT_CHOICES), n, p=CONSTRAINT_WEIGHTS)
    keep_primary = np.concatenate([np.ones(n0, bool), rng.random(int(twice.sum())) < 0.6])
    primary = np.where(keep_primary, primary, np.concatenate([primary[:n0], primary[:n0][twice]]))
    extra = rng.random((n, len(CONSTRAINT_CHOICES))) < np.array([0.35, 0.35, 0.25, 0.2, 0.15, 0.1, 0.05])
    constraints = extra | (np.arange(len(CONSTRAINT_CHOICES)) == primary[:, None])
    primary = np.where(impacted, primary, -1)
    constraints &= impacted[:, None]

    before = pop.turnover[idx]
    factor = np.where(impacted, rng.uniform(0.2, 0.85, n), rng.uniform(0.9, 1.25, n))
    after = _round_nice(before * factor, rng)
    workers_before = pop.workers[idx]
    cut = rng.binomial(workers_before, np.where(impacted, 0.3, 0.0))
    workers_after = np.maximum(workers_before - cut, 1) + (~impacted & (rng.random(n) < 0.1))

    share = np.array([0.25, 0.2, 0.12, 0.18, 0.7, 0.35, 0.05]) * online_boost
    share = share * np.where(food[:, None], [1.6, 0.8, 0.8, 1.6, 1, 1, 1], [0.2, 1.4, 1.3, 0.2, 1, 1, 1])
    platforms = rng.random((n, len(PLATFORM_CHOICES))) < np.minimum(share * (0.5 + pop.digital[idx])[:, None], 0.95)

    validation = rng.choice(len(VALIDATION), n, p=[0.8, 0.14, 0.03, 0.03])
    submitted_by = np.where(rng.random(n) < 0.7, rng.integers(10, 60, n), 0)
    order = np.argsort(submitted, kind="stable")
    ids = np.sort(_distinct_ints(rng, n, 10_000_000, 40_000_000) if period < "2021" else
                  _distinct_ints(rng, n, 90_000_000, 140_000_000))

    def o(a):
        return a[order]

    return _Wave(period, o(idx), o(start), rng.integers(0, 1000, n), o(end), rng.integers(0, 1000, n),
                 o(submitted), o(impacted), o(primary), o(constraints), o(before), o(after),
                 o(workers_before), o(workers_after), o(platforms), o(rng.random(n) < 0.8) & pop.has_nib[o(idx)],
                 o(validation), o(submitted_by), _uuid4(rng, n), ids,
                 "v" + "".join(_ALNUM[rng.integers(0, 34, 21)].view("S21").astype(str)))


def _survey_frame(wave: _Wave, pop: _Population, rng, sel: np.ndarray) -> tuple[dict, dict[str, np.ndarray]]:
    """The Kobo export of submissions `sel` of a wave, with its deliberate bad rows: the answers as
    typed, so every export of the same submission shows the same cells.

    Returns the table and the xlsx number-cell masks."""
    idx = wave.pop[sel]
    n = len(sel)
    code, name = pop.region_cells(idx, rng, p_code=0.25, p_both=0.4)
    impacted = wave.impacted[sel]
    constraints = wave.constraints[sel]
    platforms = wave.platforms[sel]
    after = wave.after[sel]
    table = {
        "start": _fmt_time(wave.start[sel] + WIB, "%Y-%m-%dT%H:%M:%S.%f+07:00", wave.start_ms[sel]),
        "end": _fmt_time(wave.end[sel] + WIB, "%Y-%m-%dT%H:%M:%S.%f+07:00", wave.end_ms[sel]),
        "periode_survei": _const(wave.period, n),
        "nik_pemilik": pop.nik_text(idx, rng),
        "nama_pemilik": pop.owner_names(idx),
        "no_hp": pop.phones(idx, rng),
        "nib": _where(wave.reports_nib[sel], _str(pop.nib[idx]), ""),
        "nama_usaha": pop.business_names(idx),
        "kode_kabkota": code,
        "kabupaten_kota": name,
        "sektor_usaha": _pick(SECTOR_CHOICES, pop.sector[idx]),
        "skala_usaha": _pick(SCALE_CHOICES, pop.scale[idx]),
        "terdampak_covid": _where(impacted, "ya", "tidak"),
        "kendala_utama": _where(impacted, _pick(CONSTRAINT_CHOICES, np.maximum(wave.primary[sel], 0)), ""),
        "kendala": _multi_summary(constraints, CONSTRAINT_CHOICES),
    }
    for j, choice in enumerate(CONSTRAINT_CHOICES):   # a skipped question leaves its columns empty
        table[f"kendala/{choice}"] = _select([~impacted, constraints[:, j]], ["", "1"], "0")
    table |= {
        "omzet_sebelum": _money_text(wave.before[sel], rng),
        "omzet_sesudah": _money_text(after, rng),
        "tenaga_kerja_sebelum": _str(wave.workers_before[sel]),
        "tenaga_kerja_sesudah": _str(wave.workers_after[sel]),
        "platform_digital": _multi_summary(platforms, PLATFORM_CHOICES),
    }
    for j, choice in enumerate(PLATFORM_CHOICES):
        table[f"platform_digital/{choice}"] = _where(platforms[:, j], "1", "0")
    enumerator = wave.submitted_by[sel]
    table |= {
        "_id": _str(wave.ids[sel]),
        "_uuid": _take(wave.uuid, sel),
        "_submission_time": _fmt_time(wave.submitted[sel], "%Y-%m-%dT%H:%M:%S"),
        "_validation_status": _pick(VALIDATION, wave.validation[sel]),
        "_notes": _const("", n),
        "_status": _const("submitted_via_web", n),
        "_submitted_by": _where(enumerator > 0, _cat("pendamping_umkm", _str(enumerator)), ""),
        "__version__": _const(wave.version, n),
        "_tags": _const("", n),
        "_index": _str(np.arange(1, n + 1)),
    }
    # deliberate bad rows: 15-digit NIK, bare ambiguous region, amounts that are not amounts
    bad_nik, bad_region, bad_text, bad_negative = _bad_rows(rng, n, _few(n, 700), _few(n, 700),
                                                            _few(n, 1500, 1), _few(n, 1500, 1))
    table["nik_pemilik"] = _replace(table["nik_pemilik"], bad_nik, _str(pop.nik[idx[bad_nik]] // 10))
    table["kode_kabkota"] = _replace(table["kode_kabkota"], bad_region, [""] * len(bad_region))
    table["kabupaten_kota"] = _replace(table["kabupaten_kota"], bad_region,
                                       _pick(["Semarang", "Magelang", "Tegal", "Pekalongan"],
                                             np.arange(len(bad_region))))
    sesudah = _replace(table["omzet_sesudah"], bad_text,
                       _pick(["tidak tahu", "belum ada", "sekitar lima juta"], np.arange(len(bad_text))))
    table["omzet_sesudah"] = _replace(sesudah, bad_negative, _cat("-", _grouped(after[bad_negative])))
    table = {c: table[c] for c in KOBO_COLUMNS}
    numeric = {c: np.ones(n, bool) for c in ["_id", "_index", "tenaga_kerja_sebelum", "tenaga_kerja_sesudah"]
               + [c for c in KOBO_COLUMNS if "/" in c]}
    for money in ("omzet_sebelum", "omzet_sesudah"):  # a number question answered with digits only
        numeric[money] = _np(pc.match_substring_regex(table[money], r"^\d+$"))
    return table, numeric


def _multi_summary(mask: np.ndarray, choices: list[str]) -> pa.Array:
    """Select-multiple summary: the ticked choice names, space-separated."""
    ticked = [_where(mask[:, j], choice, "") for j, choice in enumerate(choices)]
    joined = pc.binary_join_element_wise(*ticked, _lit(" "))
    return pc.utf8_trim(pc.replace_substring_regex(joined, " {2,}", " "), " ")


def _survey_waves(world: _World) -> list[_Wave]:
    """The two survey waves (made when the survey files are written, not kept)."""
    rng, pop = world.rng("survey"), world.pop
    return [_survey_wave(rng, pop, world.wave_a, "2020-06", _day(2020, 6, 2), 29, 0.90, 0.75, 1.0),
            _survey_wave(rng, pop, world.wave_b, "2021-03", _day(2021, 3, 1), 31, 0.75, 0.60, 1.4)]


def _survey_parts(world: _World, wave: _Wave) -> list[tuple[str | None, np.ndarray]]:
    """What one export holds: the whole wave, or (province scale) one kabupaten/kota's submissions."""
    if not world.province:
        return [(None, np.arange(len(wave.pop)))]
    region = world.pop.region[wave.pop]
    codes = world.ref.region_codes
    return [(str(int(codes[r])), np.flatnonzero(region == r)) for r in range(len(codes)) if (region == r).any()]


def _kobo_export(code: str | None, when: int, seconds: int) -> str:
    """Kobo names an export after the form and the (UTC) time it was made."""
    stamp = _np(_fmt_time(np.array([when + seconds]), "%Y-%m-%d-%H-%M-%S"))[0]
    name = KOBO_FILE.format(stamp=stamp) if code is None else KOBO_REGION_FILE.format(code=code, stamp=stamp)
    return f"survey/{name}"


def _kobo_csv(table: dict) -> bytes:
    return _csv_bytes(table, sep=";", quote_all=True, bom=True, line="\r\n")


def _write_survey(out: _Landing, world: _World) -> None:
    wave_a, wave_b = _survey_waves(world)
    out.count("survey", submissions=len(wave_a.pop) + len(wave_b.pop))
    # wave 2020-06: Kobo CSV exported when the platform started, then downloaded again by mistake
    for i, (code, sel) in enumerate(_survey_parts(world, wave_a)):
        table, _ = _survey_frame(wave_a, world.pop, world.rng(f"survey-files-2020-06-{code}"), sel)
        when = _at(2021, 1, 11, 9, 15) + i * 240
        name, data = _kobo_export(code, when, 7), _kobo_csv(table)
        out.put(f"{name}.csv", data, when, len(sel))
        if i == 0:
            out.put(f"{name} (1).csv", data, when + 120, len(sel), kind="duplicate")
    # wave 2021-03: a CSV taken mid-wave (nothing validated yet), then the final xlsx export
    cutoff = _at(2021, 3, 19, 17, 0)
    for i, (code, sel) in enumerate(_survey_parts(world, wave_b)):
        table, numeric = _survey_frame(wave_b, world.pop, world.rng(f"survey-files-2021-03-{code}"), sel)
        early_rows = np.flatnonzero(wave_b.submitted[sel] <= cutoff)
        early = _rows_of(table, early_rows)
        early["_validation_status"] = _const("", len(early_rows))
        early["_index"] = _str(np.arange(1, len(early_rows) + 1))
        when = cutoff + 120 + i * 240
        out.put(f"{_kobo_export(code, when, 41)}.csv", _kobo_csv(early), when, len(early_rows))
        when = _at(2021, 4, 5, 8, 48) + i * 240
        final_name = _kobo_export(code, when, 13)
        if len(sel) <= XLSX_MAX_ROWS:
            # Kobo names the sheet after the form title, cut to Excel's 31 characters
            out.put(f"{final_name}.xlsx", _xlsx_bytes(KOBO_COLUMNS, _table_xcols(table, numeric),
                                                      "Pendataan UMKM Terdampak Covid-", when, creator="KoboToolbox"),
                    when, len(sel))
        else:
            out.put(f"{final_name}.csv", _kobo_csv(table), when, len(sel))
