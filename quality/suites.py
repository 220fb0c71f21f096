"""The expectation suites, as code: one `Target` per raw table and per mart.

Each `Suite` is one GX 1.x ExpectationSuite plus the SQL that feeds it. The SQL selects only the
columns its expectations read, and does in DuckDB what pandas would do slowly or would need
every row's identifiers for: per-file-version duplicate counts (window functions), "is the
merchant enrolled" (semi-joins), FX look-ups, reconciliations across marts. GX then validates
the narrowed frame. No suite ever selects a personal column (`ingest.raw_schema.PERSONAL_COLUMNS`):
the samples a failed expectation reports come from these frames and from `sample_columns`.

Severity: `ERROR` rules block (the marts are not rebuilt from a raw layer that fails them, nor
published when a mart fails them); `WARN` rules annotate.

Scope: a suite whose SQL has `where {scope}` validates only the rows a check run hands it
(`quality.scope`): on the raw tables the rows of the file versions not yet checked, on
`fct_orders` the rows of the order dates whose content changed since the last check that
passed. A bad file keeps blocking until a corrected version of it replaces its rows: its version
stays unchecked, so every run looks at it again. Without a scope (`umkm docs`, tests) the
whole table is validated. Table-level suites (columns, the file ledger, the small marts and
their reconciliations) look at the whole relation; a check run skips a target none of whose
relations changed since it last passed.

This module is cheap to import (no GX import): Dagster reads the targets when it loads.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from ingest.reference import SEEDS_DIR

SCOPE = "{scope}"                   # in a suite's SQL: the condition that picks the rows to validate
BY_FILE_VERSION = "file_version"    # raw rows of the file versions loaded since their last check
BY_ORDER_DATE = "order_date"        # fct_orders rows of the order dates whose rows changed since

ERROR = "error"    # blocks: FailureSeverity.CRITICAL in GX, AssetCheckSeverity.ERROR in Dagster
WARN = "warn"      # annotates: FailureSeverity.WARNING, AssetCheckSeverity.WARN

# Plausible ranges. Dates: the survey and the programs are about the pandemic years; a date
# before 2019 or after today is a parsing error (US vs day-first dates, Excel serials, epochs).
DATE_MIN = date(2019, 1, 1)
TODAY = "<today>"                   # replaced by the validation date (plus one day of time zone slack)
MIN_ORDER_IDR = 1_000               # no GoBiz/Shopee/UVO order is below Rp 1.000: "100.000" read as 100
MAX_ORDER_IDR = 1_000_000_000       # one order above Rp 1 miliar is a column mix-up (an ID read as money)
TYPICAL_MAX_ORDER_IDR = 25_000_000  # WARN: unusual for a UMKM order, worth a look
MAX_MONTHLY_TURNOVER_IDR = 100_000_000_000   # survey omzet per month; "menengah" ends near Rp 4 miliar
TYPICAL_MAX_MONTHLY_TURNOVER_IDR = 5_000_000_000
MIN_MONTHLY_TURNOVER_IDR = 100_000  # WARN: a running business's monthly omzet below Rp 100.000
MAX_WORKERS = 100_000
TYPICAL_MAX_WORKERS = 300           # BPS: "menengah" is 20-99 workers

GOBIZ_STATUSES = ("settlement", "completed", "cancel", "expire", "refund", "pending", "deny")
GOBIZ_FEATURES = ("GoFood", "GoShop", "GoPay", "GoMart", "GoSend", "GoRide", "GoCar")
SHOPEE_STATUSES = ("Selesai", "Sedang Dikirim", "Telah Dikirim", "Perlu Dikirim", "Belum Bayar",
                   "Batal", "Dibatalkan", "Pengembalian", "Pengembalian Dana/Barang", "Pengajuan Pembatalan")
UVO_STATUSES = ("lunas", "batal", "menunggu")
SCALES = ("mikro", "kecil", "menengah")
KOBO_VALIDATION_STATUSES = ("validation_status_approved", "validation_status_not_approved",
                            "validation_status_on_hold", "")
LEDGER_STATUSES = ("loaded", "duplicate", "quarantined", "superseded")
SOURCE_NAMES = ("survey", "enrollment", "gofood", "shopee", "uvo", "unknown")
PLATFORMS = ("gofood", "shopee", "uvo")


# ---------------------------------------------------------------- reference data (the dbt seeds)

def _seed(name: str) -> list[dict[str, str]]:
    with open(SEEDS_DIR / f"{name}.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


REGION_CODES = tuple(sorted(row["region_code"] for row in _seed("regions_jateng")))
SECTOR_CODES = tuple(sorted(row["sector_code"] for row in _seed("sectors")))
CONSTRAINT_CODES = tuple(sorted(row["constraint_code"] for row in _seed("constraints")))
PROGRAMS = {row["program_id"]: row for row in _seed("programs")}
FX_RATES = [(row["month"], row["currency"], row["idr_per_unit"]) for row in _seed("fx_rates_monthly")]
FX_CURRENCIES = tuple(sorted({currency for _, currency, _ in FX_RATES}))


def _rp(amount: int) -> str:
    """Rupiah as the office writes it: 1000000 -> Rp 1.000.000."""
    return "Rp " + f"{amount:,}".replace(",", ".")


def _sql_list(values) -> str:
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


def _enrolled_on(platform: str) -> str:
    """SQL: the merchant ids enrolled in any program on `platform` (raw registry, current versions)."""
    programs = [pid for pid, row in PROGRAMS.items() if row["platform"] == platform]
    return (f"(select platform_merchant_id from raw.enrollments "
            f"where program_id in ({_sql_list(programs) or 'null'}))")


def _fx_values() -> str:
    rows = ", ".join(f"('{m}', '{c}', cast({r} as double))" for m, c, r in FX_RATES)
    return f"(values {rows}) as fx(month, currency, idr_per_unit)"


# ---------------------------------------------------------------- the building blocks

@dataclass(frozen=True)
class Expect:
    """One GX expectation: its class in `great_expectations.expectations`, arguments, severity."""

    type: str
    severity: str
    notes: str
    kwargs: dict = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        found = [self.kwargs.get(k) for k in ("column", "column_A", "column_B")]
        return tuple(c for c in found if c)


def not_null(column: str, notes: str, severity: str = ERROR) -> Expect:
    return Expect("ExpectColumnValuesToNotBeNull", severity, notes, {"column": column})


def in_set(column: str, values, notes: str, severity: str = ERROR) -> Expect:
    return Expect("ExpectColumnValuesToBeInSet", severity, notes, {"column": column, "value_set": list(values)})


def not_in_set(column: str, values, notes: str, severity: str = ERROR) -> Expect:
    return Expect("ExpectColumnValuesToNotBeInSet", severity, notes,
                  {"column": column, "value_set": list(values)})


def between(column: str, notes: str, min_value=None, max_value=None, severity: str = ERROR) -> Expect:
    kwargs = {"column": column}
    if min_value is not None:
        kwargs["min_value"] = min_value
    if max_value is not None:
        kwargs["max_value"] = max_value
    return Expect("ExpectColumnValuesToBeBetween", severity, notes, kwargs)


def in_date_range(column: str, what: str, severity: str = ERROR) -> Expect:
    return between(column, f"{what} between {DATE_MIN} and today: outside it, a date was misread "
                           f"(day/month swapped, Excel serial, epoch)", DATE_MIN, TODAY, severity)


def matches(column: str, regex: str, notes: str, severity: str = ERROR) -> Expect:
    return Expect("ExpectColumnValuesToMatchRegex", severity, notes, {"column": column, "regex": regex})


def at_least(column_a: str, column_b: str, notes: str, severity: str = ERROR) -> Expect:
    """column_a >= column_b on every row where both are present."""
    return Expect("ExpectColumnPairValuesAToBeGreaterThanB", severity, notes,
                  {"column_A": column_a, "column_B": column_b, "or_equal": True,
                   "ignore_row_if": "either_value_is_missing"})


def equal(column_a: str, column_b: str, notes: str, severity: str = ERROR) -> Expect:
    return Expect("ExpectColumnPairValuesToBeEqual", severity, notes,
                  {"column_A": column_a, "column_B": column_b, "ignore_row_if": "neither"})


def columns_present(columns, notes: str) -> Expect:
    return Expect("ExpectTableColumnsToMatchSet", ERROR, notes,
                  {"column_set": list(columns), "exact_match": False})


def row_count(value: int, notes: str) -> Expect:
    return Expect("ExpectTableRowCountToEqual", ERROR, notes, {"value": value})


def unique_in_version(column: str, what: str) -> list[Expect]:
    """`column` holds how many rows of the same file version share the row's id (null: no id)."""
    return [not_null(column, f"{what} is required"),
            between(column, f"{what} is unique within a file version (the grain the marts dedup on)",
                    max_value=1)]


class RowsInVersion(NamedTuple):
    column: str   # select expression
    join: str     # the join it reads, after the FROM


def rows_in_version(table: str, alias: str, keys: tuple[str, ...], name: str, when: str | None = None,
                    ) -> RowsInVersion:
    """The column `name` for `unique_in_version` (how many rows of the row's file version share
    its key; null when `when`, by default "the first key is there", is false) and the join it needs.

    Only the keys that repeat are counted and joined back: at ten million rows a window over
    every row took twice as long. `is not distinct from`: a missing SKU is a key value too.
    """
    repeats = f"{name}_repeats"
    key_columns = ", ".join(f"{alias}.{key}" for key in ("sha256", *keys))
    on = " and ".join(f"{repeats}.{key} is not distinct from {alias}.{key}" for key in ("sha256", *keys))
    column = f"case when {when or f'{alias}.{keys[0]} is not null'} then coalesce({repeats}.n, 1) end as {name}"
    join = (f"left join (select {key_columns}, count(*) as n from {table} {alias} where {SCOPE} "
            f"group by all having count(*) > 1) {repeats} on {on}")
    return RowsInVersion(column, join)


@dataclass(frozen=True)
class Suite:
    """A GX suite and the SQL projection it validates.

    `row_table`: when set, the SQL selects `_rowid` (the DuckDB rowid of that table) and the
    samples of a failed expectation are looked up there by rowid, reading `sample_columns`;
    big frames then carry no identifiers at all. Otherwise `sample_columns` are frame columns.
    `scoped`: the SQL says `where {scope}` and only row-level rules run on it, so validating a
    subset of rows (see the module docstring) gives the same verdict for those rows.
    """

    name: str
    sql: str
    expectations: tuple[Expect, ...]
    row_table: str | None = None
    sample_columns: tuple[str, ...] = ()
    scoped: str | None = None       # alias of the table whose rows `where {scope}` narrows

    def query(self, scope_filter: str | None = None) -> str:
        """The SQL, narrowed by `scope_filter` (a condition on the `scoped` alias) or whole."""
        return self.sql.replace(SCOPE, scope_filter or "true")


@dataclass(frozen=True)
class Target:
    """What one Dagster asset check pair (ERROR, WARN) validates: a raw table or a mart."""

    layer: str                      # raw | marts
    table: str
    suites: tuple[Suite, ...]
    reads: tuple[str, ...] = ()     # other relations the suites read, "schema.table"
    description: str = ""
    scope: str | None = None        # BY_FILE_VERSION | BY_ORDER_DATE: how a check run narrows its rows

    @property
    def relation(self) -> str:
        return f"{self.layer}.{self.table}"

    @property
    def asset_path(self) -> list[str]:
        return [self.layer, self.table]

    def expectations(self, severity: str | None = None) -> list[Expect]:
        return [e for s in self.suites for e in s.expectations if severity in (None, e.severity)]


LINEAGE = ("landing_path", "sha256", "row_number", "file_landed_at", "loaded_at")
RAW_SAMPLE = ("landing_path", "row_number")


def _schema_suite(table: str, required: tuple[str, ...]) -> Suite:
    return Suite(f"raw.{table}.columns", f"select * from raw.{table} limit 0",
                 (columns_present(LINEAGE + required,
                                  "the columns the staging models read exist (lineage included)"),))


# ---------------------------------------------------------------- raw layer

_SUBMISSION_ROWS = rows_in_version("raw.survey_submissions", "s", ("submission_id",), "submission_rows_in_version")
SURVEY = Target("raw", "survey_submissions", description="KoboToolbox survey submissions",
                scope=BY_FILE_VERSION, suites=(
    _schema_suite("survey_submissions", (
        "submission_id", "survey_period", "submitted_at_utc", "submitted_date_wib", "umkm_key",
        "region_code", "sector_code", "scale", "is_impacted", "primary_constraint_code",
        "turnover_before_idr", "turnover_after_idr", "workers_before", "workers_after", "validation_status")),
    Suite("raw.survey_submissions", f"""
        select s.rowid as _rowid,
            {_SUBMISSION_ROWS.column},
            s.survey_period,
            try_strptime(s.survey_period || '-01', '%Y-%m-%d')::date as survey_period_start,
            s.umkm_key, s.region_code, s.sector_code, s.scale, s.is_impacted, s.primary_constraint_code,
            cast(s.turnover_before_idr as double) as turnover_before_idr,
            cast(s.turnover_after_idr as double) as turnover_after_idr,
            cast(s.workers_before as bigint) as workers_before,
            cast(s.workers_after as bigint) as workers_after,
            s.submitted_date_wib,
            coalesce(s.validation_status, '') as validation_status
        from raw.survey_submissions s
        {_SUBMISSION_ROWS.join}
        where {SCOPE}
    """, (
        *unique_in_version("submission_rows_in_version", "the Kobo submission id (_id)"),
        not_null("survey_period", "the survey wave (periode_survei) is required"),
        matches("survey_period", r"^20\d\d-(?:0[1-9]|1[0-2])$", "the survey wave is YYYY-MM"),
        in_date_range("survey_period_start", "the survey wave"),
        not_null("umkm_key", "every submission has a UMKM key (from NIK, else NIB)"),
        not_null("region_code", "the region is resolved"),
        in_set("region_code", REGION_CODES, "the region is one of the 35 kabupaten/kota of Jawa Tengah"),
        not_null("sector_code", "the sector is resolved"),
        in_set("sector_code", SECTOR_CODES, "the sector is one of reference/sectors.csv"),
        in_set("scale", SCALES, "skala_usaha is mikro, kecil or menengah"),
        not_null("is_impacted", "terdampak_covid is answered"),
        in_set("primary_constraint_code", CONSTRAINT_CODES, "kendala_utama is one of reference/constraints.csv"),
        between("turnover_before_idr", "omzet before is non-negative and below Rp 100 miliar a month",
                0, MAX_MONTHLY_TURNOVER_IDR),
        between("turnover_after_idr", "omzet after is non-negative and below Rp 100 miliar a month",
                0, MAX_MONTHLY_TURNOVER_IDR),
        between("turnover_before_idr", "omzet before between Rp 100.000 and Rp 5 miliar a month is usual for "
                                       "a UMKM (below: thousands read as units? above: a typo, or no UMKM)",
                MIN_MONTHLY_TURNOVER_IDR, TYPICAL_MAX_MONTHLY_TURNOVER_IDR, WARN),
        between("workers_before", "workers before: 0 to 100.000", 0, MAX_WORKERS),
        between("workers_after", "workers after: 0 to 100.000", 0, MAX_WORKERS),
        between("workers_before", "more than 300 workers is not a UMKM", 0, TYPICAL_MAX_WORKERS, WARN),
        not_null("submitted_date_wib", "the submission time is known"),
        in_date_range("submitted_date_wib", "the submission date"),
        in_set("validation_status", KOBO_VALIDATION_STATUSES, "Kobo _validation_status is a known value", WARN),
    ), row_table="raw.survey_submissions", sample_columns=(*RAW_SAMPLE, "submission_id"), scoped="s"),
))

_ENROLLMENT_ROWS = rows_in_version("raw.enrollments", "e", ("program_id", "platform_merchant_id"),
                                   "enrollment_rows_in_version",
                                   when="e.program_id is not null and e.platform_merchant_id is not null")
ENROLLMENT = Target("raw", "enrollments", description="program participant registry", scope=BY_FILE_VERSION,
                    suites=(
    _schema_suite("enrollments", ("program_id", "umkm_key", "region_code", "sector_code",
                                  "platform_merchant_id", "joined_date")),
    Suite("raw.enrollments", f"""
        select e.rowid as _rowid,
            {_ENROLLMENT_ROWS.column},
            e.program_id, e.platform_merchant_id, e.umkm_key, e.region_code, e.sector_code, e.joined_date
        from raw.enrollments e
        {_ENROLLMENT_ROWS.join}
        where {SCOPE}
    """, (
        *unique_in_version("enrollment_rows_in_version", "(program_id, platform_merchant_id)"),
        not_null("program_id", "program_id is required"),
        in_set("program_id", sorted(PROGRAMS), "program_id is one of reference/programs.csv"),
        not_null("platform_merchant_id", "the platform merchant id is required (orders match on it)"),
        not_null("umkm_key", "every enrollment has a UMKM key (from NIK, else NIB)"),
        not_null("region_code", "the region is resolved"),
        in_set("region_code", REGION_CODES, "the region is one of the 35 kabupaten/kota of Jawa Tengah"),
        in_set("sector_code", SECTOR_CODES, "the sector is one of reference/sectors.csv"),
        not_null("joined_date", "tanggal_bergabung is required (program turnover starts there)"),
        in_date_range("joined_date", "the joined date"),
    ), row_table="raw.enrollments", sample_columns=(*RAW_SAMPLE, "program_id", "platform_merchant_id"),
       scoped="e"),
))

_GOFOOD_ROWS = rows_in_version("raw.gofood_transactions", "g", ("transaction_id",), "transaction_rows_in_version")
GOFOOD = Target("raw", "gofood_transactions", description="GoBiz transaction reports", reads=("raw.enrollments",),
                scope=BY_FILE_VERSION, suites=(
    _schema_suite("gofood_transactions", ("transaction_id", "transaction_ts_utc", "transaction_date_wib",
                                          "amount", "nett_amount", "transaction_status", "feature",
                                          "merchant_id", "currency")),
    Suite("raw.gofood_transactions", f"""
        select g.rowid as _rowid,
            {_GOFOOD_ROWS.column},
            g.merchant_id,
            lower(trim(g.transaction_status)) as transaction_status,
            g.feature,
            g.currency,
            cast(g.amount as double) as amount,
            cast(g.nett_amount as double) as nett_amount,
            g.transaction_date_wib,
            case when lower(trim(g.transaction_status)) in ('settlement', 'completed')
                 then g.merchant_id in {_enrolled_on('gofood')} end as counted_merchant_enrolled
        from raw.gofood_transactions g
        {_GOFOOD_ROWS.join}
        where {SCOPE}
    """, (
        *unique_in_version("transaction_rows_in_version", "Transaction ID"),
        not_null("merchant_id", "Merchant ID is required (orders match enrollments on it)"),
        not_null("transaction_status", "Transaction Status is required"),
        in_set("transaction_status", GOBIZ_STATUSES,
               "Transaction Status is a known GoBiz status (an unknown one would silently not count)"),
        in_set("currency", ("IDR",), "GoBiz settles in rupiah"),
        not_null("amount", "Amount is required"),
        between("amount", f"Amount between {_rp(MIN_ORDER_IDR)} and {_rp(MAX_ORDER_IDR)}: below, the file's "
                          f"amounts are in thousands (or '100.000' was read as 100)", MIN_ORDER_IDR, MAX_ORDER_IDR),
        between("nett_amount", "Nett Amount is non-negative", 0, MAX_ORDER_IDR),
        at_least("amount", "nett_amount", "Nett Amount (after fees) is not above the gross Amount", WARN),
        between("amount", f"Amount above {_rp(TYPICAL_MAX_ORDER_IDR)} is unusual for one GoBiz order",
                max_value=TYPICAL_MAX_ORDER_IDR, severity=WARN),
        in_set("feature", GOBIZ_FEATURES, "Feature is a known GoBiz feature", WARN),
        not_null("transaction_date_wib", "the transaction time is known"),
        in_date_range("transaction_date_wib", "the transaction date (WIB)"),
        in_set("counted_merchant_enrolled", (True,),
               "the merchant of every counted transaction is enrolled in a GoBiz program (the contract "
               "allows others: they count in no program)", WARN),
    ), row_table="raw.gofood_transactions", sample_columns=(*RAW_SAMPLE, "transaction_id"), scoped="g"),
))

_SHOPEE_ROWS = rows_in_version("raw.shopee_order_lines", "s", ("order_id", "shop_id", "sku_ref", "variation_name"),
                               "order_line_rows_in_version")
SHOPEE = Target("raw", "shopee_order_lines", description="Shopee Seller Centre order exports",
                reads=("raw.enrollments",), scope=BY_FILE_VERSION, suites=(
    _schema_suite("shopee_order_lines", ("shop_id", "order_id", "order_status", "order_created_ts_utc",
                                         "order_created_date_wib", "sku_ref", "variation_name",
                                         "price_after_discount", "quantity", "returned_quantity",
                                         "order_total_payment")),
    Suite("raw.shopee_order_lines", f"""
        select s.rowid as _rowid,
            {_SHOPEE_ROWS.column},
            s.shop_id,
            s.order_status,
            cast(s.price_after_discount as double) as price_after_discount,
            cast(s.quantity as bigint) as quantity,
            cast(s.returned_quantity as bigint) as returned_quantity,
            cast(s.order_total_payment as double) as order_total_payment,
            s.order_created_date_wib,
            case when s.order_status = 'Selesai'
                 then s.shop_id in {_enrolled_on('shopee')} end as counted_merchant_enrolled
        from raw.shopee_order_lines s
        {_SHOPEE_ROWS.join}
        where {SCOPE}
    """, (
        *unique_in_version("order_line_rows_in_version",
                           "the order line (shop, No. Pesanan, Nomor Referensi SKU, Nama Variasi)"),
        not_null("shop_id", "the shop id (from the folder) is required"),
        not_null("order_status", "Status Pesanan is required"),
        in_set("order_status", SHOPEE_STATUSES,
               "Status Pesanan is a known Seller Centre status (an unknown one would silently not count)"),
        not_null("price_after_discount", "Harga Setelah Diskon is required (line turnover)"),
        between("price_after_discount", "Harga Setelah Diskon is non-negative and below Rp 1 miliar",
                0, MAX_ORDER_IDR),
        between("order_total_payment", f"Total Pembayaran between {_rp(MIN_ORDER_IDR)} and {_rp(MAX_ORDER_IDR)}: "
                                       f"below, '169.000' was read as 169", MIN_ORDER_IDR, MAX_ORDER_IDR),
        between("quantity", "Jumlah between 1 and 10.000", 1, 10_000),
        between("returned_quantity", "Returned quantity is non-negative", 0, 10_000),
        at_least("quantity", "returned_quantity", "no more units returned than ordered"),
        not_null("order_created_date_wib", "Waktu Pesanan Dibuat is known"),
        in_date_range("order_created_date_wib", "the order date (WIB)"),
        in_set("counted_merchant_enrolled", (True,),
               "the shop of every completed order is enrolled in a Shopee program", WARN),
    ), row_table="raw.shopee_order_lines", sample_columns=(*RAW_SAMPLE, "shop_id", "order_id"), scoped="s"),
))

_UVO_ROWS = rows_in_version("raw.uvo_transactions", "u", ("transaction_id",), "transaction_rows_in_version")
UVO = Target("raw", "uvo_transactions", description="UKM Virtual Expo transactions", reads=("raw.enrollments",),
             scope=BY_FILE_VERSION, suites=(
    _schema_suite("uvo_transactions", ("transaction_id", "participant_id", "transaction_ts_utc",
                                       "transaction_date_wib", "buyer_country", "currency", "amount", "status")),
    Suite("raw.uvo_transactions", f"""
        select u.rowid as _rowid,
            {_UVO_ROWS.column},
            u.participant_id,
            lower(trim(u.status)) as status,
            upper(trim(u.currency)) as currency,
            upper(trim(u.buyer_country)) as buyer_country,
            cast(u.amount as double) as amount,
            fx.idr_per_unit,
            cast(u.amount as double) * fx.idr_per_unit as amount_idr_estimate,
            u.transaction_date_wib,
            case when lower(trim(u.status)) = 'lunas'
                 then u.participant_id in {_enrolled_on('uvo')} end as counted_merchant_enrolled
        from raw.uvo_transactions u
        left join {_fx_values()}
            on fx.month = strftime(u.transaction_date_wib, '%Y-%m') and fx.currency = upper(trim(u.currency))
        {_UVO_ROWS.join}
        where {SCOPE}
    """, (
        *unique_in_version("transaction_rows_in_version", "id_transaksi"),
        not_null("participant_id", "id_peserta is required (orders match enrollments on it)"),
        not_null("status", "status is required"),
        in_set("status", UVO_STATUSES, "status is lunas, batal or menunggu"),
        not_null("currency", "mata_uang is required"),
        in_set("currency", FX_CURRENCIES, "mata_uang is a currency of reference/fx_rates_monthly.csv"),
        not_null("idr_per_unit", "an FX rate exists for the currency and the month of the transaction"),
        matches("buyer_country", r"^[A-Z]{2}$", "negara_pembeli is an ISO 3166 alpha-2 code"),
        between("amount", "nilai is non-negative", min_value=0),
        between("amount_idr_estimate", f"the amount in rupiah is between {_rp(MIN_ORDER_IDR)} and "
                                       f"{_rp(MAX_ORDER_IDR)}", MIN_ORDER_IDR, MAX_ORDER_IDR),
        between("amount_idr_estimate", f"an expo order above {_rp(TYPICAL_MAX_ORDER_IDR)} is unusual",
                max_value=TYPICAL_MAX_ORDER_IDR, severity=WARN),
        not_null("transaction_date_wib", "tanggal_transaksi is known"),
        in_date_range("transaction_date_wib", "the transaction date (WIB)"),
        in_set("counted_merchant_enrolled", (True,),
               "the exhibitor of every paid transaction is enrolled in an expo program", WARN),
    ), row_table="raw.uvo_transactions", sample_columns=(*RAW_SAMPLE, "transaction_id"), scoped="u"),
))

LEDGER = Target("raw", "landing_files", description="file ledger", suites=(
    Suite("raw.landing_files", """
        select l.rowid as _rowid, l.source, l.status,
            l.rows_read - l.rows_loaded - l.rows_rejected as rows_unaccounted,
            count(*) filter (where l.status <> 'superseded') over (partition by l.landing_path)
                as current_versions_of_path,
            case when l.status = 'loaded' and l.rows_read > 0 then l.rows_rejected / l.rows_read end
                as rejected_share
        from raw.landing_files l
    """, (
        in_set("status", LEDGER_STATUSES, "the file status is loaded, duplicate, quarantined or superseded"),
        in_set("source", SOURCE_NAMES, "the source is one of the landing folders"),
        between("rows_unaccounted", "rows read = rows loaded + rows rejected: nothing is lost silently", 0, 0),
        between("current_versions_of_path", "a landing path has at most one current version", max_value=1),
        not_in_set("status", ("quarantined",), "no file is quarantined (see its reason)", WARN),
        between("rejected_share", "a loaded file rejects at most 5% of its rows", 0, 0.05, WARN),
    ), row_table="raw.landing_files", sample_columns=("landing_path", "status")),
))

RAW_TARGETS = (SURVEY, ENROLLMENT, GOFOOD, SHOPEE, UVO, LEDGER)


# ---------------------------------------------------------------- marts

_CONSTRAINTS = ("marketing", "capital", "raw_materials", "distribution", "production", "labour", "other")

FCT_ORDERS = Target("marts", "fct_orders", description="all orders", scope=BY_ORDER_DATE, suites=(
    Suite("marts.fct_orders", """
        select f.rowid as _rowid, f.platform, f.is_counted, f.currency, f.buyer_country,
            cast(f.amount_idr as double) as amount_idr, f.order_date,
            case when f.is_counted then f.umkm_key is not null end as counted_merchant_enrolled
        from marts.fct_orders f
        where {scope}
    """, (
        in_set("platform", PLATFORMS, "platform is gofood, shopee or uvo"),
        not_null("is_counted", "every order is counted or not"),
        not_null("amount_idr", "every order has a rupiah amount (a missing FX rate is a row error, not null)"),
        between("amount_idr", "amount_idr is non-negative", min_value=0),
        in_set("currency", FX_CURRENCIES, "the currency has FX rates"),
        matches("buyer_country", r"^[A-Z]{2}$", "buyer_country is ISO alpha-2"),
        in_date_range("order_date", "the order date"),
        in_set("counted_merchant_enrolled", (True,),
               "every counted order's merchant is enrolled (others count in no program)", WARN),
    ), row_table="marts.fct_orders", sample_columns=("platform", "order_id", "landing_path"), scoped="f"),
))

IMPACT = Target("marts", "mart_impact_summary", description="impact survey summary", suites=(
    Suite("marts.mart_impact_summary", f"""
        select m.rowid as _rowid, m.survey_period, m.region_code, m.sector_code, m.scale,
            m.n_respondents, m.n_impacted,
            {' + '.join(f'm.n_constraint_{c}' for c in _CONSTRAINTS)} as n_impacted_with_primary_constraint,
            m.n_impacted / nullif(m.n_respondents, 0) as share_impacted,
            {', '.join(f'm.n_constraint_{c} / nullif(m.n_impacted, 0) as share_constraint_{c}'
                       for c in _CONSTRAINTS)},
            cast(m.turnover_before_idr as double) as turnover_before_idr,
            cast(m.turnover_after_idr as double) as turnover_after_idr,
            m.workers_before, m.workers_after
        from marts.mart_impact_summary m
    """, (
        matches("survey_period", r"^20\d\d-(?:0[1-9]|1[0-2])$", "survey_period is YYYY-MM"),
        in_set("region_code", REGION_CODES, "the region is one of the 35 kabupaten/kota"),
        in_set("sector_code", SECTOR_CODES, "the sector is one of reference/sectors.csv"),
        in_set("scale", SCALES, "scale is mikro, kecil or menengah"),
        at_least("n_respondents", "n_impacted", "n_impacted <= n_respondents"),
        at_least("n_impacted", "n_impacted_with_primary_constraint",
                 "primary constraints are counted among impacted UMKM only"),
        between("share_impacted", "the share of impacted UMKM is between 0 and 1", 0, 1),
        *(between(f"share_constraint_{c}", f"the share of impacted UMKM whose main constraint is {c} "
                                           f"is between 0 and 1", 0, 1) for c in _CONSTRAINTS),
        between("turnover_before_idr", "turnover sums are non-negative", min_value=0),
        between("turnover_after_idr", "turnover sums are non-negative", min_value=0),
        between("workers_before", "worker sums are non-negative", min_value=0),
        between("workers_after", "worker sums are non-negative", min_value=0),
    ), row_table="marts.mart_impact_summary", sample_columns=("survey_period", "region_code", "sector_code",
                                                               "scale")),
))

# Program turnover recomputed from its definition (data contract 3) over fct_orders: the counted
# orders of the program's enrolled merchants, on its platform (and feature), in its window, on or
# after the joined date.
_COUNTED_PROGRAM_ORDERS = """
    select e.program_id, count(*) as n_orders, sum(o.amount_idr) as turnover_idr
    from intermediate.int_enrollments_deduped e
    join marts.dim_program p on p.program_id = e.program_id
    join marts.fct_orders o
        on o.is_counted and o.platform = p.platform and o.platform_merchant_id = e.platform_merchant_id
       and (p.feature is null or lower(o.feature) = lower(p.feature))
       and o.order_date between p.start_date and p.end_date and o.order_date >= e.joined_date
    group by e.program_id
"""

PROGRAM_SUMMARY = Target("marts", "mart_program_summary", description="turnover per program",
                         reads=("marts.fct_orders", "marts.dim_program", "intermediate.int_enrollments_deduped"),
                         suites=(
    Suite("marts.mart_program_summary", f"""
        select s.program_id, s.n_enrolled_umkm, s.n_active_umkm, s.n_orders,
            cast(s.turnover_idr as double) as turnover_idr,
            cast(s.turnover_foreign_idr as double) as turnover_foreign_idr,
            coalesce(c.n_orders, 0) as n_counted_program_orders,
            cast(coalesce(c.turnover_idr, 0) as double) as turnover_of_counted_program_orders
        from marts.mart_program_summary s
        left join ({_COUNTED_PROGRAM_ORDERS}) c on c.program_id = s.program_id
    """, (
        row_count(len(PROGRAMS), "one row per program of reference/programs.csv"),
        in_set("program_id", sorted(PROGRAMS), "program_id is one of reference/programs.csv"),
        at_least("n_enrolled_umkm", "n_active_umkm", "active UMKM are enrolled UMKM"),
        at_least("turnover_idr", "turnover_foreign_idr", "foreign turnover is part of the turnover"),
        between("turnover_idr", "program turnover is non-negative", min_value=0),
        equal("turnover_idr", "turnover_of_counted_program_orders",
              "program turnover equals the sum of its counted orders in fct_orders (program definition)"),
        equal("n_orders", "n_counted_program_orders", "n_orders equals the number of its counted orders"),
    ), sample_columns=("program_id",)),
))

TURNOVER_MONTHLY = Target("marts", "mart_turnover_monthly", description="program turnover per month",
                          reads=("marts.mart_program_summary",), suites=(
    Suite("marts.mart_turnover_monthly", """
        select t.rowid as _rowid, t.month, t.program_id, t.region_code, t.sector_code,
            t.n_active_umkm, t.n_orders,
            cast(t.turnover_idr as double) as turnover_idr,
            cast(t.turnover_foreign_idr as double) as turnover_foreign_idr
        from marts.mart_turnover_monthly t
    """, (
        in_date_range("month", "the month"),
        in_set("program_id", sorted(PROGRAMS), "program_id is one of reference/programs.csv"),
        in_set("region_code", REGION_CODES, "the region is one of the 35 kabupaten/kota"),
        between("turnover_idr", "monthly turnover is non-negative", min_value=0),
        at_least("turnover_idr", "turnover_foreign_idr", "foreign turnover is part of the turnover"),
        at_least("n_orders", "n_active_umkm", "an active UMKM has at least one order"),
    ), row_table="marts.mart_turnover_monthly", sample_columns=("month", "program_id", "region_code",
                                                                 "sector_code")),
    Suite("marts.mart_turnover_monthly.reconciliation", """
        select coalesce(s.program_id, m.program_id) as program_id,
            cast(coalesce(s.turnover_idr, 0) as double) as program_summary_turnover_idr,
            cast(coalesce(m.turnover_idr, 0) as double) as monthly_turnover_idr,
            coalesce(s.n_orders, 0) as program_summary_n_orders,
            coalesce(m.n_orders, 0) as monthly_n_orders
        from marts.mart_program_summary s
        full outer join (
            select program_id, sum(turnover_idr) as turnover_idr, sum(n_orders) as n_orders
            from marts.mart_turnover_monthly group by program_id
        ) m on m.program_id = s.program_id
    """, (
        equal("monthly_turnover_idr", "program_summary_turnover_idr",
              "the months of a program sum to its turnover in mart_program_summary"),
        equal("monthly_n_orders", "program_summary_n_orders",
              "the months of a program sum to its n_orders in mart_program_summary"),
    ), sample_columns=("program_id",)),
))

DIM_UMKM = Target("marts", "dim_umkm", description="UMKM dimension", suites=(
    Suite("marts.dim_umkm", """
        select d.rowid as _rowid, d.umkm_key, d.region_code, d.sector_code, d.scale, d.first_seen_date
        from marts.dim_umkm d
    """, (
        matches("umkm_key", r"^[0-9a-f]{32}$", "the UMKM key is a salted hash, never a NIK or NIB"),
        in_set("region_code", REGION_CODES, "the region is one of the 35 kabupaten/kota"),
        in_set("sector_code", SECTOR_CODES, "the sector is one of reference/sectors.csv"),
        in_set("scale", SCALES, "scale is mikro, kecil or menengah"),
        in_date_range("first_seen_date", "the first-seen date"),
    ), row_table="marts.dim_umkm", sample_columns=("umkm_key",)),
))

DIM_REGION = Target("marts", "dim_region", description="the 35 regions", suites=(
    Suite("marts.dim_region", "select region_code, region_type from marts.dim_region", (
        row_count(len(REGION_CODES), "Jawa Tengah has 35 kabupaten/kota"),
        in_set("region_code", REGION_CODES, "the BPS codes of reference/regions_jateng.csv"),
    ), sample_columns=("region_code",)),
))

DIM_PROGRAM = Target("marts", "dim_program", description="programs", suites=(
    Suite("marts.dim_program", "select program_id, platform, start_date, end_date from marts.dim_program", (
        in_set("program_id", sorted(PROGRAMS), "program_id is one of reference/programs.csv"),
        in_set("platform", PLATFORMS, "platform is gofood, shopee or uvo"),
        at_least("end_date", "start_date", "a program window ends after it starts"),
    ), sample_columns=("program_id",)),
))

DATA_QUALITY = Target("marts", "mart_data_quality", description="file ledger for BI", suites=(
    Suite("marts.mart_data_quality", """
        select q.rowid as _rowid, q.status, q.rows_read - q.rows_loaded - q.rows_rejected as rows_unaccounted
        from marts.mart_data_quality q
    """, (
        in_set("status", LEDGER_STATUSES, "the file status is loaded, duplicate, quarantined or superseded"),
        between("rows_unaccounted", "rows read = rows loaded + rows rejected", 0, 0),
    ), row_table="marts.mart_data_quality", sample_columns=("landing_path", "status")),
))

MART_TARGETS = (FCT_ORDERS, IMPACT, PROGRAM_SUMMARY, TURNOVER_MONTHLY, DIM_UMKM, DIM_REGION, DIM_PROGRAM,
                DATA_QUALITY)
ALL_TARGETS = RAW_TARGETS + MART_TARGETS


def expectation_counts() -> dict[str, dict[str, int]]:
    """How many expectations per layer and severity (for the README and the issue note)."""
    counts: dict[str, dict[str, int]] = {}
    for target in ALL_TARGETS:
        layer = counts.setdefault(target.layer, {ERROR: 0, WARN: 0, "suites": 0})
        layer["suites"] += len(target.suites)
        for expectation in target.expectations():
            layer[expectation.severity] += 1
    return counts
