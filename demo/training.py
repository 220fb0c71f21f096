"""Registration and attendance lists of the office's trainings, bimtek, workshops and classes:
Google Forms response exports (the Forms csv download, or the response sheet saved as xlsx) with
a `Kehadiran` column the staff fill in after the activity. Several activities share a form; a
question added to the forms mid-2021 shows up as a column headed by its full text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from demo.cells import WIB, _at, _cat, _excel_serial, _fmt_time, _np, _pick, _str, _where
from demo.common import _World, _bad_rows, _few
from demo.files import DATETIME, _Landing, _csv_bytes, _table_xcols, _xlsx_bytes, _XCol
from demo.story import ATTENDED, UNMARKED, _activities, _registrations

FORMS_COLUMNS = ["Timestamp", "Kode Kegiatan", "Nama Lengkap", "NIK", "Nomor WhatsApp", "Nama Usaha", "NIB (jika ada)",
                 "Kabupaten/Kota", "Bidang Usaha", "Kehadiran"]
MARKETPLACE_QUESTION = "Apakah usaha Anda sudah memiliki akun marketplace? "     # Forms keeps the trailing space
MARKETPLACE_ANSWERS = ["Belum", "Sudah, di Shopee", "Sudah, di Tokopedia", "Sudah, lebih dari satu marketplace"]
ATTENDANCE = ["Hadir", "Tidak Hadir", ""]
# the forms' dropdown of sectors (labels the survey uses too: reference/sectors.csv survey_labels)
FORM_SECTORS = [["Makanan dan Minuman", "Perdagangan", "Jasa", "Kerajinan", "Fashion", "Pertanian dan Perikanan",
                 "Lainnya"],
                ["Kuliner", "Perdagangan", "Jasa", "Kerajinan", "Busana", "Pertanian", "Lainnya"]]
# a code typed by hand instead of the one the invitation gave
WRONG_CODES = {"literasi-digital-2021-03": "literasi digital 2021", "bimtek-gofood-2021-05": "bimtek-gofood-2021-5",
               "workshop-foto-produk-2021-06": "workshop-foto-2021-06", "mbiz-pbj-2021-08": "mbiz-pbj-2021",
               "kampus-umkm-kelas-2021-09": "kampus-umkm-2021-09", "bimtek-ekspor-uvo-2021-10": "bimtek-ekspor-2021-10",
               "mbiz-pbj-2022-02": "mbiz-pbj-2022-2"}
QUESTION_ADDED = _at(2021, 7, 28, 11, 0)      # when the marketplace question was added to the forms


def _forms_files() -> list[dict]:
    """Each export: its path, the activities it holds, csv or xlsx, when it landed, the sectors'
    labels, whether the marketplace question is in it, and how its attendance column is headed."""
    return [
        {"path": "training/Pendaftaran Kegiatan UMKM Jateng 2021 (Jawaban).csv", "when": _at(2021, 6, 14, 15, 22, 13),
         "activities": ["literasi-digital-2021-03", "bimtek-gofood-2021-05", "workshop-foto-produk-2021-06"],
         "xlsx": False, "sectors": 0, "question": False, "attendance": "Kehadiran"},
        {"path": "training/Pendaftaran Pelatihan PBJ Mbizmarket Agustus 2021.xlsx", "when": _at(2021, 8, 16, 10, 4, 51),
         "activities": ["mbiz-pbj-2021-08"], "xlsx": True, "sectors": 0, "question": True, "attendance": "Kehadiran"},
        {"path": "training/Pendaftaran Kegiatan UMKM Jateng 2021 Semester 2 (Jawaban).csv",
         "when": _at(2021, 10, 11, 14, 37, 9), "activities": ["kampus-umkm-kelas-2021-09", "bimtek-ekspor-uvo-2021-10"],
         "xlsx": False, "sectors": 1, "question": True, "attendance": "Kehadiran "},
        {"path": "training/Pendaftaran Pelatihan PBJ Mbizmarket Angkatan II (Jawaban).xlsx",
         "when": _at(2022, 2, 21, 9, 48, 23), "activities": ["mbiz-pbj-2022-02"], "xlsx": True, "sectors": 0,
         "question": True, "attendance": "Kehadiran"},
    ]


def _forms_time(ts: np.ndarray):
    """Google Forms' csv timestamp: `2021/08/10 9:03:22 AM GMT+7` (12-hour clock, no leading zero)."""
    local = np.asarray(ts, dtype=np.int64) + WIB
    hour = local % 86400 // 3600
    return _cat(_fmt_time(local, "%Y/%m/%d "), _str((hour + 11) % 12 + 1), _fmt_time(local, ":%M:%S"),
                _where(hour < 12, " AM GMT+7", " PM GMT+7"))


def _with_bad_rows(frame: pd.DataFrame, rng) -> tuple[pd.DataFrame, dict]:
    """Registrations, and a few rows typed wrong before the person registered again correctly:
    an activity code that is not one (`bad` 1), a NIK one digit short (`bad` 2)."""
    n = len(frame)
    unknown, short_nik = _bad_rows(rng, n, _few(n, 300), _few(n, 300))
    bad = frame.iloc[np.concatenate([unknown, short_nik])].copy()
    bad["bad"] = np.repeat([1, 2], [len(unknown), len(short_nik)])
    bad["ts"] = bad["ts"].to_numpy() - rng.integers(300, 2 * 3600, len(bad))
    bad["attendance"] = UNMARKED
    frame = pd.concat([frame.assign(bad=0), bad], ignore_index=True)
    return frame.sort_values(["ts", "pop"], kind="stable").reset_index(drop=True), {
        "bad_unknown_activity": len(unknown), "bad_invalid_nik": len(short_nik)}


def _forms_table(world: _World, rows: pd.DataFrame, spec: dict, activity_ids: list, rng) -> tuple[dict, list]:
    pop = world.pop
    idx = rows["pop"].to_numpy()
    n = len(rows)
    bad = rows["bad"].to_numpy()
    activity = rows["activity"].to_numpy()
    code = _where(bad == 1, _pick([WRONG_CODES[a] for a in activity_ids], activity), _pick(activity_ids, activity))
    nik = pop.nik_text(idx, rng, p_apostrophe=0 if spec["xlsx"] else 0.03, p_spaced=0.03)
    nik = _where(bad == 2, _str(pop.nik[idx] // 10), nik)
    region_code, region_name = pop.region_cells(idx, rng, p_code=0.08, p_both=0.0)
    business = pop.business_names(idx)
    business = _where(rng.random(n) < 0.1, pc.utf8_lower(business), business)
    ts = rows["ts"].to_numpy()
    answer = np.minimum((pop.digital[idx] * 4 + rng.random(n)).astype(np.int64), 3)
    table = {
        "Timestamp": _forms_time(ts),
        "Kode Kegiatan": code,
        "Nama Lengkap": pop.owner_names(idx),
        "NIK": nik,
        "Nomor WhatsApp": pop.phones(idx, rng),
        "Nama Usaha": business,
        "NIB (jika ada)": _where(pop.has_nib[idx] & (rng.random(n) < 0.6), _str(pop.nib[idx]), ""),
        "Kabupaten/Kota": _where(_np(pc.equal(region_code, "")), region_name, region_code),
        "Bidang Usaha": _pick(FORM_SECTORS[spec["sectors"]], pop.sector[idx]),
    }
    if spec["question"]:
        table[MARKETPLACE_QUESTION] = _where(ts >= QUESTION_ADDED, _pick(MARKETPLACE_ANSWERS, answer), "")
    table[spec["attendance"]] = _pick(ATTENDANCE, rows["attendance"].to_numpy())
    columns = []
    if spec["xlsx"]:
        columns = _table_xcols(table)
        columns[0] = _XCol(_excel_serial(ts + WIB), np.full(n, DATETIME, np.int8))
    return table, columns


def _write_training(out: _Landing, world: _World) -> None:
    rng = world.rng("training-files")
    activity_ids = list(_activities()["activity_id"])
    registrations = _registrations(world)
    first = ~registrations.duplicated(["activity", "pop"])
    out.count("training", registrations=len(registrations), participants=int(first.sum()),
              attended=int(registrations[registrations["attendance"] == ATTENDED].drop_duplicates(
                  ["activity", "pop"]).shape[0]),
              duplicate_registrations=int(registrations["duplicate"].sum()))
    frame, bad_counts = _with_bad_rows(registrations, rng)
    out.count("training", **bad_counts)
    for spec in _forms_files():
        wanted = [activity_ids.index(a) for a in spec["activities"]]
        rows = frame[frame["activity"].isin(wanted).to_numpy()]
        table, columns = _forms_table(world, rows, spec, activity_ids, rng)
        header = list(table)
        if spec["xlsx"]:
            data = _xlsx_bytes(header, columns, "Form Responses 1", spec["when"], creator="Bidang UMKM")
        else:
            data = _csv_bytes(table, quote_all=True)
        out.put(spec["path"], data, spec["when"], len(rows))

