"""The demo landing zone: deterministic, shaped like the real exports, loadable by the parsers.

One demo (scale 1, seed 42) is written once per module; the determinism tests write it again.
The province layout (from `PROVINCE_SCALE` on) is tested at scale 1 by lowering the threshold,
and one new GoBiz day is landed on a copy of the demo. The story the demo tells (PPKM darurat,
Mbizmarket vendors trained before they sell, Lapak Ganjar) is measured in the files it writes,
as the parsers read them.
"""

import csv
import hashlib
import io
import json
import re
import shutil
import zipfile
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

import demo.common as demo_common
import demo.zone as demo_zone
from demo.zone import write_demo_landing, write_new_gobiz_day
from ingest.landing import scan_landing
from ingest.raw_load import load_new_files
from ingest.readers import QuarantineError
from ingest.sources import SOURCES as PARSERS

SOURCES = ("survey", "enrollment", "gofood", "shopee", "uvo", "mbizmarket", "training", "lapak_ganjar")
SEEDS = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"
START_2021 = datetime(2021, 1, 1, tzinfo=timezone.utc).timestamp()
END_2022 = datetime(2023, 1, 1, tzinfo=timezone.utc).timestamp()


def snapshot(root: Path) -> dict[str, tuple[str, int, int]]:
    """relative path -> (sha256, mtime in ns, inode) of every file."""
    return {p.relative_to(root).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns,
                                             p.stat().st_ino)
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo") / "landing"
    summary = write_demo_landing(root, scale=1, seed=42)
    return root, summary, snapshot(root)


def files(root: Path, source: str, pattern: str = "*") -> list[Path]:
    return sorted(p for p in (root / source).rglob(pattern) if p.is_file())


# ---------------------------------------------------------------- determinism

def test_same_seed_gives_identical_bytes_and_mtimes(demo, tmp_path):
    root, summary, first = demo
    again = write_demo_landing(tmp_path / "landing", scale=1, seed=42)
    second = snapshot(tmp_path / "landing")
    assert again == summary
    assert first.keys() == second.keys()
    differing = [path for path in first if first[path][:2] != second[path][:2]]
    assert not differing, differing[:5]


def test_writing_again_into_the_same_dir_changes_nothing(demo):
    root, summary, before = demo
    assert write_demo_landing(root, scale=1, seed=42) == summary
    assert snapshot(root) == before          # same bytes, same mtimes, and not even rewritten (same inode)


def test_two_processes_write_the_same_zone(demo, tmp_path):
    root, summary, first = demo
    assert write_demo_landing(tmp_path / "landing", scale=1, seed=42, workers=2) == summary
    second = snapshot(tmp_path / "landing")
    assert {p: v[:2] for p, v in first.items()} == {p: v[:2] for p, v in second.items()}


def test_another_seed_gives_other_data(demo, tmp_path):
    root, _, first = demo
    write_demo_landing(tmp_path / "other", scale=1, seed=7)
    other = snapshot(tmp_path / "other")
    data_hashes = {h for path, (h, _, _) in first.items() if not path.rsplit("/", 1)[-1].startswith((".", "~$"))}
    shared = data_hashes & {h for h, _, _ in other.values()}
    assert len(shared) <= 1                   # at most the 0-byte failed download


# ---------------------------------------------------------------- layout and delivery order

def test_every_source_has_its_kinds_of_files(demo):
    root, summary, _ = demo
    suffixes = {source: Counter(p.suffix for p in files(root, source)) for source in SOURCES}
    assert suffixes["survey"][".csv"] >= 2 and suffixes["survey"][".xlsx"] == 1
    assert suffixes["enrollment"][".csv"] >= 2 and suffixes["enrollment"][".xlsx"] >= 2
    assert suffixes["gofood"][".csv"] > 100
    assert suffixes["uvo"][".csv"] >= 2 and suffixes["uvo"][".json"] == 2
    for source in ("mbizmarket", "training", "lapak_ganjar"):
        assert suffixes[source][".csv"] >= 2 and suffixes[source][".xlsx"] >= 2, source
    shop_files = files(root, "shopee", "Order.all.*")
    assert {p.suffix for p in shop_files} == {".csv", ".xlsx"}
    for path in shop_files:
        assert path.parent.parent.name == "shopee" and path.parent.name.isdigit()
        assert re.fullmatch(r"Order\.all\.\d{8}_\d{8}( \(1\))?\.(xlsx|csv)", path.name), path.name
    assert len({p.parent.name for p in shop_files}) >= 5
    assert any("20210915_20211015" in p.name for p in shop_files)     # the overlapping export
    for source in SOURCES:
        assert summary[source]["files"] == len(files(root, source)), source


def test_temporary_files_are_there_and_ignored(demo):
    root, _, _ = demo
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    temporary = {p for p in present if p.rsplit("/", 1)[-1].startswith(("~$", ".")) or p.endswith(".part")}
    assert any("~$" in p for p in temporary) and any(p.endswith(".part") for p in temporary)
    assert any(p.rsplit("/", 1)[-1].startswith(".") for p in temporary)
    scanned = {f.path for f in scan_landing(root)}
    assert scanned == present - temporary


def test_mtimes_are_fixed_unique_and_follow_delivery_order(demo):
    root, _, snap = demo
    mtimes = {path: ns / 1e9 for path, (_, ns, _) in snap.items()}
    assert all(START_2021 <= t < END_2022 for t in mtimes.values())
    assert len(set(mtimes.values())) == len(mtimes)
    for path, t in mtimes.items():
        if "_rerun" in path or " (1)" in path:
            original = re.sub(r"_rerun| \(1\)", "", path)
            if original in mtimes:
                assert t > mtimes[original], path
        if "_rerun" in path and path.endswith("_20211229_20211231_rerun.csv"):
            daily = [p for p in mtimes if re.search(r"grp03_transactions_202112(29|30|31)_", p) and "_rerun" not in p]
            assert len(daily) == 3 and all(t > mtimes[p] for p in daily)
    overlap = [p for p in mtimes if "20210915_20211015" in p]
    for path in overlap:
        september = next(p for p in mtimes if p.startswith(path.rsplit("/", 1)[0]) and "20210901_20210930" in p)
        assert mtimes[path] > mtimes[september]


def test_duplicate_delivery_is_the_same_bytes(demo):
    root, _, snap = demo
    copies = [p for p in snap if " (1)" in p and p.replace(" (1)", "") in snap
              and snap[p][0] == snap[p.replace(" (1)", "")][0]]
    assert {p.split("/", 1)[0] for p in copies} == {"survey", "gofood"}


# ---------------------------------------------------------------- contents

def test_kobo_csv_is_semicolon_quoted_with_bom(demo):
    root, _, _ = demo
    path = next(p for p in files(root, "survey", "*.csv") if "(1)" not in p.name)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf\"start\";\"end\";")
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header = rows[0]
    assert all(line.startswith('"') and line.endswith('"') for line in text.splitlines()[:50])
    assert header[-10:] == ["_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status",
                            "_submitted_by", "__version__", "_tags", "_index"]
    assert {"kendala", "kendala/pemasaran", "platform_digital", "platform_digital/gofood"} <= set(header)
    record = dict(zip(header, rows[1]))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+07:00", record["start"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", record["_submission_time"])
    records = [dict(zip(header, row)) for row in rows[1:]]
    assert {r["periode_survei"] for r in records} == {"2020-06"}
    assert sum(len(re.sub(r"\D", "", r["nik_pemilik"])) == 15 for r in records) >= 1      # a bad NIK
    assert any(r["kabupaten_kota"] == "Semarang" and not r["kode_kabkota"] for r in records)
    assert any("juta" in r["omzet_sebelum"] for r in records)
    assert any(r["omzet_sebelum"].startswith("Rp") for r in records)
    assert any(r["_validation_status"] == "validation_status_not_approved" for r in records)
    # privacy: a business name never carries its owner's name
    assert not [r for r in records if r["nama_pemilik"].lower() in r["nama_usaha"].lower()]


def test_survey_mirrors_the_real_shares(demo):
    root, _, _ = demo
    path = next(p for p in files(root, "survey", "*.csv") if "2021-01-11" in p.name and "(1)" not in p.name)
    records = list(csv.DictReader(io.StringIO(path.read_text("utf-8-sig")), delimiter=";"))
    impacted = [r for r in records if r["terdampak_covid"] == "ya"]
    food = sum(r["sektor_usaha"] == "makanan_minuman" for r in impacted) / len(impacted)
    primary = Counter(r["kendala_utama"] for r in impacted)
    assert 0.58 < food < 0.72
    assert [c for c, _ in primary.most_common(2)] == ["pemasaran", "permodalan"]
    assert 0.45 < primary["pemasaran"] / len(impacted) < 0.62


def test_shopee_xlsx_has_sheet_orders_and_both_layouts(demo):
    root, _, _ = demo
    layouts = set()
    for path in files(root, "shopee", "*.xlsx")[:40]:
        if "(1)" in path.name:
            continue
        try:
            workbook = openpyxl.load_workbook(path, read_only=True)
        except zipfile.BadZipFile:
            continue                          # the deliberately truncated download
        assert workbook.sheetnames == ["orders"]
        header = [cell.value for cell in next(workbook["orders"].iter_rows(max_row=1))]
        assert {"No. Pesanan", "Status Pesanan", "Nomor Referensi SKU", "Nama Variasi", "Jumlah"} <= set(header)
        layouts.add("new" if "Returned quantity" in header else "old")
        if "Returned quantity" not in header:
            assert "Dibayar Pembeli" in header and "Total Pembayaran" not in header
    assert layouts == {"new", "old"}


def test_xlsx_metadata_is_fixed_not_today(demo):
    root, _, _ = demo
    path = files(root, "enrollment", "*.xlsx")[0]
    with zipfile.ZipFile(path) as archive:
        assert {info.date_time[0] for info in archive.infolist()} <= {2021, 2022}
        core = archive.read("docProps/core.xml").decode()
    assert re.search(r"<dcterms:created[^>]*>202[12]-", core)
    sheet = openpyxl.load_workbook(path).worksheets[0]
    joined = [row[8] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert any(isinstance(v, datetime) for v in joined) and any(isinstance(v, (int, float)) for v in joined)


def test_gobiz_and_uvo_details(demo):
    root, _, _ = demo
    text = "".join(p.read_text("utf-8-sig") for p in files(root, "gofood", "gobiz_grp0*_2021*.csv")[:30])
    assert re.search(r"\n\d\d/\d\d/2021,2021-\d\d-\d\dT17:\d\d:\d\d(\.\d{3})?Z,", text)     # next WIB day
    assert "'G" in text and re.search(r'"\d{1,3},\d{3}"', text)
    uvo = {p.name: p for p in files(root, "uvo", "*.json")}
    documents = [json.loads(p.read_text()) for p in uvo.values()]
    assert any(isinstance(d, list) for d in documents)
    assert any(isinstance(d, dict) and "transaksi" in d for d in documents)


# ---------------------------------------------------------------- the parsers take it

EXPECTED_QUARANTINE = {
    "gofood": {"empty file", "missing required column(s): Amount"},
    "shopee": {"unreadable xlsx"},
    "uvo": {"not a text file"},
}
EXPECTED_REJECTS = {"invalid_nik", "ambiguous_region", "negative_amount", "invalid_amount", "unknown_program",
                    "unknown_currency", "inconsistent_total", "unknown_status", "unknown_activity", "implausible_date",
                    "missing_identifier"}


def test_every_file_loads_or_fails_on_purpose(demo):
    root, summary, _ = demo
    loaded, rejects, quarantined, by_source = Counter(), Counter(), [], Counter()
    for landing_file in scan_landing(root):
        data = (root / landing_file.path).read_bytes()
        try:
            result = PARSERS[landing_file.source].parse(data, landing_file.path)
        except QuarantineError as error:
            quarantined.append((landing_file.source, str(error)))
            continue
        loaded[landing_file.source] += result.rows_loaded
        rejects.update(result.rejects["reason_code"])
        by_source.update((landing_file.source, code) for code in result.rejects["reason_code"])
    assert len(quarantined) == 4
    for source, reason in quarantined:
        assert any(reason.startswith(expected) for expected in EXPECTED_QUARANTINE[source]), (source, reason)
    assert set(rejects) == EXPECTED_REJECTS
    assert sum(rejects.values()) < 60
    assert 2800 <= summary["survey"]["submissions"] <= 3300 and loaded["survey"] > 5000
    assert 410 <= loaded["enrollment"] <= 450
    assert 19_000 <= summary["gofood"]["transactions"] <= 21_000 and loaded["gofood"] > 19_000
    assert 2_800 <= summary["shopee"]["orders"] <= 3_200 and 4_500 <= summary["shopee"]["order_lines"] <= 5_500
    assert 580 <= loaded["uvo"] <= 600
    # the new sources: every bad row the demo wrote on purpose is refused, with its reason, and no other
    for source, kinds in (("mbizmarket", ("inconsistent_total", "negative_amount", "unknown_status")),
                          ("training", ("unknown_activity", "invalid_nik")),
                          ("lapak_ganjar", ("implausible_date", "missing_identifier"))):
        assert {code: n for (s, code), n in by_source.items() if s == source} == {
            kind: summary[source][f"bad_{kind}"] for kind in kinds}, source
        assert loaded[source] == summary[source]["rows"] - sum(summary[source][f"bad_{kind}"] for kind in kinds)
    assert 150 <= summary["mbizmarket"]["orders"] <= 250 and loaded["mbizmarket"] > 300     # each in two exports
    assert 250 <= summary["training"]["registrations"] <= 350 and 350 <= summary["lapak_ganjar"]["promotions"] <= 550


# ---------------------------------------------------------------- size: volumes and files by scale

def test_volumes_grow_linearly_and_files_slower(demo, tmp_path):
    _, one, _ = demo
    two = write_demo_landing(tmp_path / "landing", scale=2, seed=42)
    assert one["gofood"]["transactions"] == demo_common.GOBIZ_PER_SCALE
    assert two["gofood"]["transactions"] == 2 * demo_common.GOBIZ_PER_SCALE
    assert two["shopee"]["orders"] == 2 * one["shopee"]["orders"] == 2 * demo_common.SHOPEE_PER_SCALE
    assert two["uvo"]["transactions"] == 2 * one["uvo"]["transactions"] == 2 * demo_common.UVO_PER_SCALE
    assert two["enrollment"]["participants"] == 2 * one["enrollment"]["participants"] == 2 * 430
    assert one["enrollment"]["participants"] == demo_common.ENROLLMENTS_PER_SCALE
    assert two["mbizmarket"]["orders"] == 2 * one["mbizmarket"]["orders"] == 2 * demo_common.MBIZ_PER_SCALE
    assert 1.8 < two["training"]["registrations"] / one["training"]["registrations"] < 2.2
    assert 1.8 < two["lapak_ganjar"]["promotions"] / one["lapak_ganjar"]["promotions"] < 2.2
    for source in ("mbizmarket", "training", "lapak_ganjar"):                # same files, twice the rows
        assert two[source]["files"] == one[source]["files"], source
    respondents = demo_common.SURVEY_RESPONDENTS_PER_SCALE
    assert respondents < one["survey"]["submissions"] < 1.05 * respondents          # ~3% answer twice
    assert 2 * respondents < two["survey"]["submissions"] < 2.1 * respondents
    # shops sending exports: round(10 x scale^0.6), plus one shop in no program
    assert (one["shopee"]["shops"], two["shopee"]["shops"]) == (11, 16)
    assert one["shopee"]["files"] < two["shopee"]["files"] < 2 * one["shopee"]["files"]
    assert two["gofood"]["files"] == one["gofood"]["files"]       # 8 x round(sqrt(scale)) accounts: still 8


def test_the_documented_benchmark_scales():
    orders = {name: scale * demo_common.ORDERS_PER_SCALE for name, scale in demo_common.BENCHMARK_SCALES.items()}
    assert 2_450_000 <= orders["2.5M orders"] <= 2_550_000 and 4_950_000 <= orders["5M orders"] <= 5_050_000
    benchmark = demo_common.BENCHMARK_SCALES["10M orders"]
    assert orders["10M orders"] >= 10_000_000 + 10_000          # room for the deliberately rejected rows
    assert benchmark * demo_common.SURVEY_RESPONDENTS_PER_SCALE >= 1_000_000
    assert benchmark * demo_common.ENROLLMENTS_PER_SCALE >= 100_000
    assert all(scale >= demo_common.PROVINCE_SCALE for scale in demo_common.BENCHMARK_SCALES.values())


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    """The province layout (daily GoBiz feed, Kobo exports per kabupaten/kota) at scale 1."""
    root = tmp_path_factory.mktemp("province") / "landing"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo_zone, "PROVINCE_SCALE", 1)
        summary = write_demo_landing(root, scale=1, seed=42)
    return root, summary


def test_province_gobiz_is_one_report_a_day(province):
    root, summary = province
    names = [p.name for p in files(root, "gofood")]
    daily = {m[1] for name in names if (m := re.fullmatch(r"gobiz_jateng_transactions_(\d{8})_\1\.csv", name))}
    assert len(daily) == 365 and min(daily) == "20210101" and max(daily) == "20211231"
    assert not [name for name in names if "grp" in name]
    assert summary["gofood"]["transactions"] == demo_common.GOBIZ_PER_SCALE
    for kind in ("rerun", "duplicate", "broken", "repeated_header", "ignored"):
        assert summary["gofood"][kind] >= 1, kind
    rerun = root / "gofood" / "gobiz_jateng_transactions_20211229_20211231_rerun.csv"
    parsed = PARSERS["gofood"].parse(rerun.read_bytes(), "gofood/" + rerun.name)
    assert set(parsed.rows["transaction_date_wib"].astype(str)) == {"2021-12-29", "2021-12-30", "2021-12-31"}


def test_province_survey_is_one_export_per_region_and_wave(province):
    root, summary = province
    exports = [p for p in files(root, "survey") if " (1)" not in p.name]
    regions = Counter(re.match(r"Pendataan_UMKM_Terdampak_Covid-19_(\d{4})_-_", p.name)[1] for p in exports)
    assert len(regions) == 35 and set(regions.values()) == {3}     # wave 1, wave 2 mid-wave, wave 2 final
    loaded, region_codes = 0, set()
    for path in exports:
        result = PARSERS["survey"].parse(path.read_bytes(), "survey/" + path.name)
        loaded += result.rows_loaded
        region_codes |= set(result.rows["region_code"].dropna())
    assert loaded > summary["survey"]["submissions"] * 0.95 and len(region_codes) == 35


# ---------------------------------------------------------------- one new GoBiz day

def zone_gobiz_ids(root: Path, leave_out: Path) -> set[str]:
    ids = set()
    for path in files(root, "gofood", "*.csv"):
        if path == leave_out:
            continue
        try:
            ids |= set(PARSERS["gofood"].parse(path.read_bytes(), "gofood/" + path.name).rows["transaction_id"])
        except QuarantineError:     # the deliberately broken files
            continue
    return ids


@pytest.fixture(scope="module")
def new_day(demo, tmp_path_factory):
    root = tmp_path_factory.mktemp("new_day") / "landing"
    shutil.copytree(demo[0], root)                       # copy2: mtimes kept
    before = snapshot(root)
    return root, before, write_new_gobiz_day(root, scale=1, seed=42)


def test_new_day_is_a_clean_report_of_the_next_day(new_day):
    root, before, path = new_day
    assert path == root / "gofood" / "gobiz_jateng_transactions_20220101_20220101.csv"
    result = PARSERS["gofood"].parse(path.read_bytes(), "gofood/" + path.name)
    assert result.rows_rejected == 0 and 30 < result.rows_loaded < 200     # ~20,000 a year, a Saturday
    assert set(result.rows["transaction_date_wib"].astype(str)) == {"2022-01-01"}
    ids = set(result.rows["transaction_id"])
    assert len(ids) == result.rows_loaded and not ids & zone_gobiz_ids(root, path)
    # the zone's merchants, almost all of them enrolled in a GoFood program
    registry = "".join(p.read_text("utf-8", errors="replace") for p in files(root, "enrollment", "*.csv"))
    for workbook in files(root, "enrollment", "*.xlsx"):
        if not workbook.name.startswith("~$"):
            rows = openpyxl.load_workbook(workbook, read_only=True).active.iter_rows(values_only=True)
            registry += "".join(str(row) for row in rows)
    merchants = set(result.rows["merchant_id"])
    assert sum(m in registry for m in merchants) >= 0.9 * len(merchants)
    # landed last, nothing else touched
    after = snapshot(root)
    relative = path.relative_to(root).as_posix()
    assert {p: v for p, v in after.items() if p != relative} == before
    assert after[relative][1] > max(mtime for _, mtime, _ in before.values())


def test_new_day_is_deterministic_and_idempotent(new_day, tmp_path):
    root, _, path = new_day
    first = snapshot(root)
    assert write_new_gobiz_day(root, scale=1, seed=42) == path
    assert snapshot(root) == first                          # same bytes, same mtime, not rewritten
    elsewhere = write_new_gobiz_day(tmp_path / "empty", scale=1, seed=42)
    assert elsewhere.read_bytes() == path.read_bytes()
    assert write_new_gobiz_day(tmp_path / "seed7", scale=1, seed=7).read_bytes() != path.read_bytes()


def test_cli_writes_the_new_day(tmp_path, monkeypatch, capsys):
    from orchestration.cli import main

    monkeypatch.setenv("UMKM_LANDING_DIR", str(tmp_path))
    assert main(["demo", "--scale", "1", "--seed", "42", "--new-day"]) == 0
    assert [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()] == [
        "gofood/gobiz_jateng_transactions_20220101_20220101.csv"]
    assert "transactions" in capsys.readouterr().out


# ---------------------------------------------------------------- Shopee exports as csv only

def load_shopee(landing: Path, work: Path) -> tuple[list, list]:
    """Load only the zone's shopee/ folder into a new warehouse; return its order lines and ledger,
    with `.xlsx` paths named `.csv` and the columns that name a file version left out."""
    shutil.copytree(landing / "shopee", work / "landing" / "shopee")      # copy2: mtimes kept
    load_new_files(work / "warehouse.duckdb", work / "landing", "demo-test-salt")
    path = r"regexp_replace(landing_path, '\.xlsx$', '.csv')"
    con = duckdb.connect(str(work / "warehouse.duckdb"), read_only=True)
    try:
        # extra_columns holds the unmapped cells as text: an xlsx number cell reads '67500.0', csv '67500'
        lines = con.execute(f"select {path}, * exclude (landing_path, sha256, loaded_at, layout, extra_columns) "
                            "from raw.shopee_order_lines order by all").fetchall()
        ledger = con.execute(f"select {path}, status, rows_loaded from raw.landing_files order by all").fetchall()
    finally:
        con.close()
    return lines, ledger


def test_shopee_csv_zone_loads_the_same_shopee_rows(demo, tmp_path, monkeypatch, capsys):
    from orchestration.cli import main

    root, _, snap = demo
    landing = tmp_path / "csv_zone"
    monkeypatch.setenv("UMKM_LANDING_DIR", str(landing))
    assert main(["demo", "--scale", "1", "--seed", "42", "--shopee-csv"]) == 0
    assert "shopee" in capsys.readouterr().out
    exports = files(landing, "shopee", "Order.all.*")
    assert exports and all(p.suffix == ".csv" for p in exports)
    assert len(exports) == len(files(root, "shopee", "Order.all.*"))
    others = snapshot(landing)
    assert {p: v[:2] for p, v in others.items() if not p.startswith("shopee/")} == {
        p: v[:2] for p, v in snap.items() if not p.startswith("shopee/")}       # other sources: the same files
    csv_lines, csv_ledger = load_shopee(landing, tmp_path / "csv")
    xlsx_lines, xlsx_ledger = load_shopee(root, tmp_path / "xlsx")
    assert len(xlsx_lines) > 4_000 and csv_lines == xlsx_lines
    assert csv_ledger == xlsx_ledger                 # the failed download is quarantined in both
    assert sum(status == "quarantined" for _, status, _ in csv_ledger) == 1


# ---------------------------------------------------------------- Mbizmarket, trainings, Lapak Ganjar

MBIZ_HEADER = ["No. Pesanan", "Tanggal Pesanan", "ID Vendor", "Nama Vendor", "Instansi Pembeli", "Satuan Kerja",
               "Subtotal", "PPN", "Ongkos Kirim", "Total Pesanan", "Status Pesanan", "Nama PIC Pembeli", "Email PIC",
               "No. HP PIC"]


def read_table(path: Path) -> list[list]:
    """A csv (delimiter sniffed from the header) or the first sheet of an xlsx, as rows of cells."""
    if path.suffix == ".xlsx":
        sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    text = path.read_text("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";" if text.split("\n", 1)[0].count(";") > 2 else ","))


@pytest.fixture(scope="module")
def parsed(demo) -> dict[str, pd.DataFrame]:
    """Every loadable file of the demo through its parser; the rows of a source with the landing
    time of their file (`_landed`), so "the latest landed row wins" can be applied."""
    root, _, _ = demo
    frames: dict[str, list] = {}
    for landing_file in scan_landing(root):
        path = root / landing_file.path
        try:
            result = PARSERS[landing_file.source].parse(path.read_bytes(), landing_file.path)
        except QuarantineError:
            continue
        frames.setdefault(landing_file.source, []).append(
            result.rows.assign(_path=landing_file.path, _landed=path.stat().st_mtime_ns))
    return {source: pd.concat(parts, ignore_index=True) for source, parts in frames.items()}


def latest(frame: pd.DataFrame, key) -> pd.DataFrame:
    return frame.sort_values("_landed", kind="stable").drop_duplicates(key, keep="last")


def umkm_key(frame: pd.DataFrame) -> pd.Series:
    """NIK, else NIB (the contract's UMKM key, unhashed)."""
    return frame["nik"].fillna("NIB:" + frame["nib"].fillna(""))


def test_mbizmarket_exports_in_three_layouts_with_ppn_in_the_total(demo):
    root, _, _ = demo
    exports = files(root, "mbizmarket")
    layouts = set()
    for path in exports:
        rows = read_table(path)
        assert rows[0] == MBIZ_HEADER, path.name
        body = [dict(zip(MBIZ_HEADER, row)) for row in rows[1:]]
        first = body[0]
        if path.suffix == ".xlsx":
            assert isinstance(first["Tanggal Pesanan"], datetime) and isinstance(first["Subtotal"], int)
            layouts.add("xlsx")
        elif str(first["Subtotal"]).startswith("Rp "):
            assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", first["Tanggal Pesanan"])
            layouts.add("csv , Rp")
        else:
            assert re.fullmatch(r"\d{1,3}(\.\d{3})*,00", first["Subtotal"]) and path.read_bytes().count(b";") > 10
            layouts.add("csv ; decimal")
    assert layouts == {"xlsx", "csv , Rp", "csv ; decimal"}
    assert all(re.fullmatch(r"mbizmarket/pesanan_vendor_binaan_\d{8}_\d{8}\.(csv|xlsx)", p.relative_to(root).as_posix())
               for p in exports)


def test_mbizmarket_orders_move_on_and_total_is_subtotal_ppn_and_shipping(parsed):
    orders = parsed["mbizmarket"]
    # overlapping exports: most orders are in two of them, and the later one shows them further along
    seen = orders.groupby("order_id")["_path"].nunique()
    assert (seen == 2).mean() > 0.8
    rank = {status: i for i, status in enumerate(["Menunggu Konfirmasi", "Diproses", "Dikirim", "Diterima", "Selesai"])}
    moved = orders[orders["order_status"].isin(rank)].sort_values("_landed").groupby("order_id")["order_status"].agg(
        lambda s: [rank[v] for v in s])
    assert all(steps == sorted(steps) for steps in moved)
    assert sum(steps[0] < steps[-1] == rank["Selesai"] for steps in moved) >= 10       # e.g. Dikirim -> Selesai
    assert {"Dikirim", "Diterima", "Selesai", "Dibatalkan", "Ditolak"} <= set(orders["order_status"])
    # Total Pesanan = Subtotal + PPN + Ongkos Kirim, PPN 10% until March 2022, 11% from April 2022
    assert (orders["subtotal"] + orders["vat"] + orders["shipping"] == orders["order_total"]).all()
    ppn_11 = orders["order_date_wib"] >= datetime(2022, 4, 1).date()
    rate = (orders["vat"] / orders["subtotal"]).astype(float).round(4)
    assert set(rate[ppn_11]) == {0.11} and set(rate[~ppn_11]) == {0.1}
    assert orders["order_id"].str.fullmatch(r"PO-\d{4}-\d{7}").all()
    assert orders["vendor_id"].str.fullmatch(r"MBZ-\d{6}").all()


def test_mbizmarket_vendors_are_enrolled_and_trained(demo, parsed):
    _, summary, _ = demo
    enrolled = latest(parsed["enrollment"], ["program_id", "platform_merchant_id"])
    vendors = enrolled[enrolled["program_id"] == "mbizmarket_pbj"]
    assert len(vendors) == summary["enrollment"]["participants"] - 400 == demo_common.MBIZ_VENDORS_PER_SCALE
    assert set(parsed["mbizmarket"]["vendor_id"]) <= set(vendors["platform_merchant_id"])
    others = enrolled[enrolled["program_id"] != "mbizmarket_pbj"]
    assert not set(umkm_key(vendors)) & set(umkm_key(others))          # vendors are in no partner program
    training = parsed["training"]
    attended = {activity: set(umkm_key(training[(training["activity_id"] == activity) & training["attended"]]))
                for activity in ("mbiz-pbj-2021-08", "mbiz-pbj-2022-02")}
    keys = umkm_key(vendors)
    first, second = keys.isin(attended["mbiz-pbj-2021-08"]), keys.isin(attended["mbiz-pbj-2022-02"])
    assert (first | second).all() and first.mean() >= 0.7                  # most from the August 2021 training
    registered = set(umkm_key(training[training["activity_id"] == "mbiz-pbj-2021-08"]))
    assert len(registered) > first.sum()                                    # the participants: a superset


def test_trained_vendors_sell_on_mbizmarket_weeks_after_the_training(parsed):
    """The attendees of mbiz-pbj-2021-08 (10-12 August 2021): no or few orders in the 30 days
    before its start, orders in the 30 days from it, and many more later."""
    training, enrolled = parsed["training"], latest(parsed["enrollment"], ["program_id", "platform_merchant_id"])
    attendees = set(umkm_key(training[(training["activity_id"] == "mbiz-pbj-2021-08") & training["attended"]]))
    vendors = enrolled[(enrolled["program_id"] == "mbizmarket_pbj") & umkm_key(enrolled).isin(attendees)]
    orders = latest(parsed["mbizmarket"], "order_id")
    orders = orders[orders["vendor_id"].isin(set(vendors["platform_merchant_id"]))]
    days = (pd.to_datetime(orders["order_date_wib"]) - pd.Timestamp(2021, 8, 10)).dt.days
    before, after = ((days >= -30) & (days < 0)).sum(), ((days >= 0) & (days < 30)).sum()
    assert before <= 2 and after >= 8, (before, after)
    assert (days < 0).sum() <= 10 and (days >= 0).sum() >= 100
    assert orders[days >= 0]["vendor_id"].nunique() >= 15


def test_training_forms_exports(demo, parsed):
    root, summary, _ = demo
    exports = files(root, "training")
    assert {p.suffix for p in exports} == {".csv", ".xlsx"}
    headers = {p.name: read_table(p)[0] for p in exports}
    question = "Apakah usaha Anda sudah memiliki akun marketplace? "
    first_csv = next(p for p in exports if p.suffix == ".csv")
    assert question not in headers[first_csv.name] and "Kehadiran" in headers[first_csv.name]
    assert sum(question in header for header in headers.values()) >= 2           # added mid-way, trailing space kept
    assert any("Kehadiran " in header for header in headers.values())             # a header with a trailing space
    text = first_csv.read_text("utf-8")
    assert re.search(r'^"20\d\d/\d\d/\d\d (1[0-2]|[1-9]):\d\d:\d\d (AM|PM) GMT\+7","', text, re.M)
    workbook = next(p for p in exports if p.suffix == ".xlsx")
    rows = read_table(workbook)
    assert isinstance(rows[1][0], datetime) and question in rows[0]
    answers = [row[rows[0].index(question)] for row in rows[1:]]
    assert None in answers[:3] and answers[-1]                  # empty before the question was added
    registrations = parsed["training"]
    activities = pd.read_csv(SEEDS / "activities.csv", dtype=str)
    trainings = activities[activities["kind"] != "promosi"]
    assert set(registrations["activity_id"]) == set(trainings["activity_id"])
    assert registrations.groupby("_path")["activity_id"].nunique().max() >= 2      # activities sharing a file
    # registered in the weeks before the start, never after the end
    starts = dict(zip(trainings["activity_id"], pd.to_datetime(trainings["start_date"])))
    start = registrations["activity_id"].map(starts)
    lead = (start - pd.to_datetime(registrations["registered_date_wib"])).dt.days
    assert lead.between(0, 35).all() and lead.median() >= 5
    # registered but absent (Tidak Hadir or empty), and the same person twice for an activity, once Hadir
    assert (registrations["attendance"] == "Tidak Hadir").sum() >= 5 and registrations["attendance"].isna().sum() >= 5
    twice = registrations.assign(key=umkm_key(registrations)).groupby(["activity_id", "key"])["attended"]
    assert (twice.size() == 2).sum() == summary["training"]["duplicate_registrations"] >= 3
    assert ((twice.size() == 2) & (twice.sum() == 1)).sum() >= 2
    assert registrations["region_code"].notna().all() and registrations["sector_code"].notna().all()


def test_lapak_ganjar_log(demo, parsed):
    root, summary, _ = demo
    logs = files(root, "lapak_ganjar")
    assert {p.suffix for p in logs} == {".csv", ".xlsx"}
    for path in logs:
        rows = read_table(path)
        assert rows[0] == ["Tanggal Tayang", "NIK Pemilik", "NIB", "Nama Usaha", "Kabupaten/Kota", "Bidang Usaha",
                           "Produk", "Tautan Unggahan"]
        shown = rows[1][0]
        assert isinstance(shown, datetime) if path.suffix == ".xlsx" else re.fullmatch(r"\d\d/\d\d/2021", shown)
    promotions = parsed["lapak_ganjar"]
    assert promotions["post_url"].str.fullmatch(r"https://www\.instagram\.com/p/[\w-]{11}/").all()
    shown = pd.to_datetime(promotions["shown_date"])
    assert shown.dt.year.eq(2021).all() and shown.dt.dayofyear.nunique() > 200     # most days of 2021
    per_day = promotions.assign(key=umkm_key(promotions)).groupby(["shown_date", "key"]).size()
    assert (per_day == 2).sum() == summary["lapak_ganjar"]["same_day_twice"] >= 2     # the same UMKM twice on a day
    assert promotions["region_code"].notna().all() and promotions["sector_code"].notna().all()


def test_gofood_orders_dip_during_ppkm_darurat_and_recover(parsed):
    """GoFood transactions a day in the report files: PPKM darurat against the same number of days
    just before it (the baseline of mart_restriction_periods), and after it."""
    periods = pd.read_csv(SEEDS / "restriction_periods.csv", dtype=str).set_index("period_id")
    start, end = (pd.Timestamp(periods.loc["ppkm_darurat", c]) for c in ("start_date", "end_date"))
    n_days = (end - start).days + 1
    gofood = latest(parsed["gofood"], "transaction_id")
    days = pd.to_datetime(gofood.loc[gofood["feature"] == "GoFood", "transaction_date_wib"])

    def per_day(first: pd.Timestamp) -> float:
        return days.between(first, first + pd.Timedelta(days=n_days - 1)).sum() / n_days

    baseline, during = per_day(start - pd.Timedelta(days=n_days)), per_day(start)
    assert 0.30 <= 1 - during / baseline <= 0.50, (baseline, during)
    assert per_day(end + pd.Timedelta(days=1)) > during                                 # coming back ...
    assert per_day(end + pd.Timedelta(days=n_days + 1)) >= 0.9 * baseline              # ... and back


def test_promoted_umkm_sell_a_little_more_after_lapak_ganjar(parsed):
    """Counted GoFood / Shopee orders of the promoted UMKM (linked through the registry): the 30
    days from the first Lapak Ganjar day against the 30 days before it."""
    promotions = parsed["lapak_ganjar"]
    first = promotions.assign(key=umkm_key(promotions)).groupby("key")["shown_date"].min().rename("first")
    enrolled = latest(parsed["enrollment"], ["program_id", "platform_merchant_id"])
    links = enrolled.assign(key=umkm_key(enrolled))[["key", "platform_merchant_id"]].drop_duplicates()
    gofood = latest(parsed["gofood"], "transaction_id")
    gofood = gofood[gofood["transaction_status"].str.lower().isin(["completed", "settlement"])]
    shopee = latest(parsed["shopee"], ["shop_id", "order_id", "sku_ref", "variation_name"]).drop_duplicates(
        ["shop_id", "order_id"])
    shopee = shopee[shopee["order_status"] == "Selesai"]
    orders = pd.concat([
        pd.DataFrame({"platform_merchant_id": gofood["merchant_id"], "day": gofood["transaction_date_wib"]}),
        pd.DataFrame({"platform_merchant_id": shopee["shop_id"].astype(str), "day": shopee["order_created_date_wib"]})])
    linked = orders.merge(links, on="platform_merchant_id").merge(first, left_on="key", right_index=True)
    since = (pd.to_datetime(linked["day"]) - pd.to_datetime(linked["first"])).dt.days
    before, after = since.between(-30, -1).sum(), since.between(0, 29).sum()
    assert linked["key"].nunique() >= 50 and before >= 500
    assert 1.08 <= after / before <= 1.35, (before, after)


def test_new_sources_leave_the_partner_programs_alone():
    """Mbizmarket vendors come from a generator of their own: the partner programs' registry is not
    drawn differently, and no vendor is in a partner program."""
    world = demo_common._World(demo_common._Reference.load(), 1, 42)
    assert set(world.enrolled["program"]) == {0, 1, 2, 3}
    assert len(world.enrolled) == 400 and len(world.mbiz) == demo_common.MBIZ_VENDORS_PER_SCALE
    assert not set(world.mbiz["pop"]) & set(world.enrolled["pop"])
    assert world.merchant_ids(world.mbiz).to_pylist()[0].startswith("MBZ-")
