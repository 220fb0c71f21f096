"""The raw layer in DuckDB: the file ledger, the rejects table and one table per source.

This module is the contract between `ingest/` (which fills these tables) and the dbt
staging models (which read them as sources). Raw tables hold what the files said, typed
but not interpreted beyond what parsing needs; personal data (NIK, names, phones,
addresses) lives here and nowhere else.

Every source table starts with the same lineage columns, filled by the loader.
"""

LINEAGE_COLUMNS = """
    landing_path varchar not null,   -- path relative to the landing dir
    sha256 varchar not null,         -- file version
    row_number integer not null,     -- 1-based position of the record among the file's data rows
    file_landed_at timestamp not null, -- file mtime (UTC): orders versions of the same entity
    loaded_at timestamp not null     -- when this file version was loaded (UTC)
"""

# Column lists per source table (after the lineage columns). Types are DuckDB types.
SOURCE_TABLES: dict[str, dict[str, str]] = {
    "survey_submissions": {
        "submission_id": "varchar",          # Kobo _id
        "submission_uuid": "varchar",        # Kobo _uuid
        "survey_period": "varchar",          # periode_survei, YYYY-MM
        "started_at_utc": "timestamp",       # start
        "ended_at_utc": "timestamp",         # end
        "submitted_at_utc": "timestamp",     # _submission_time (UTC in the export)
        "submitted_date_wib": "date",        # local reporting date of submitted_at_utc
        "umkm_key": "varchar",               # salted hash of NIK, else NIB (ingest/identifiers.py)
        "nik": "varchar",                    # PII, 16 digits, null when absent
        "owner_name": "varchar",             # PII
        "phone": "varchar",                  # PII
        "nib": "varchar",                    # 13 digits or null
        "business_name": "varchar",
        "region_code": "varchar",            # resolved 4-digit BPS code
        "sector_code": "varchar",            # resolved from sectors.csv survey_labels
        "scale": "varchar",                  # mikro | kecil | menengah | null
        "is_impacted": "boolean",            # terdampak_covid ya/tidak
        "primary_constraint_code": "varchar",  # resolved from constraints.csv, null if none
        "constraint_codes": "varchar",       # all constraints, space separated codes
        "turnover_before_idr": "decimal(18,2)",
        "turnover_after_idr": "decimal(18,2)",
        "workers_before": "integer",
        "workers_after": "integer",
        "digital_platforms": "varchar",      # space separated choice names
        "validation_status": "varchar",      # Kobo _validation_status, may be empty
    },
    "enrollments": {
        "program_id": "varchar",
        "umkm_key": "varchar",               # salted hash of NIK, else NIB
        "nik": "varchar",                    # PII, 16 digits or null
        "nib": "varchar",                    # 13 digits or null (at least one of nik/nib)
        "business_name": "varchar",
        "region_code": "varchar",
        "sector_code": "varchar",
        "platform_merchant_id": "varchar",
        "joined_date": "date",
    },
    "gofood_transactions": {
        "transaction_id": "varchar",
        "transaction_reference": "varchar",
        "order_id": "varchar",
        "stan": "varchar",
        "transaction_date": "date",          # Transaction Date as printed (m/d/Y)
        "transaction_ts_utc": "timestamp",   # Transaction time
        "transaction_date_wib": "date",      # local reporting date of transaction_ts_utc
        "amount": "decimal(18,2)",           # gross
        "nett_amount": "decimal(18,2)",
        "transaction_status": "varchar",
        "feature": "varchar",                # GoFood, GoShop, GoPay, ...
        "payment_type": "varchar",
        "merchant_name": "varchar",
        "merchant_id": "varchar",
        "promo_type": "varchar",
        "promo_name": "varchar",
        "gopay_promo": "decimal(18,2)",
        "gofood_discount": "decimal(18,2)",
        "voucher_commission": "decimal(18,2)",
        "tax": "decimal(18,2)",
        "withholding_tax": "decimal(18,2)",
        "currency": "varchar",
    },
    "shopee_order_lines": {
        "shop_id": "varchar",                # from the folder name
        "layout": "varchar",                 # 'new' (has Returned quantity) | 'old'
        "order_id": "varchar",               # No. Pesanan
        "order_status": "varchar",           # Status Pesanan
        "order_created_ts_utc": "timestamp", # Waktu Pesanan Dibuat (WIB) as UTC
        "order_created_date_wib": "date",
        "order_completed_ts_utc": "timestamp",
        "product_name": "varchar",
        "sku_ref": "varchar",                # Nomor Referensi SKU ('' when absent)
        "variation_name": "varchar",         # Nama Variasi ('' when absent)
        "price_after_discount": "decimal(18,2)",
        "quantity": "integer",
        "returned_quantity": "integer",      # 0 in the old layout
        "order_total_payment": "decimal(18,2)",  # order level, repeats on every line
        "buyer_city": "varchar",
        "buyer_province": "varchar",
        "buyer_username": "varchar",         # PII
        "recipient_name": "varchar",         # PII
        "recipient_phone": "varchar",        # PII
        "shipping_address": "varchar",       # PII
        "extra_columns": "varchar",          # JSON object of the columns not mapped above
    },
    "uvo_transactions": {
        "transaction_id": "varchar",
        "participant_id": "varchar",         # id_peserta = platform_merchant_id
        "participant_name": "varchar",
        "transaction_ts_utc": "timestamp",
        "transaction_date_wib": "date",
        "buyer_country": "varchar",          # ISO alpha-2, ID = domestic
        "currency": "varchar",               # ISO 4217, checked against fx_rates_monthly
        "amount": "decimal(18,2)",           # in `currency`
        "status": "varchar",                 # lunas | batal | menunggu
    },
    "mbizmarket_orders": {
        "order_id": "varchar",               # No. Pesanan, the grain
        "order_ts_utc": "timestamp",         # Tanggal Pesanan (WIB) as UTC
        "order_date_wib": "date",
        "vendor_id": "varchar",              # ID Vendor = platform_merchant_id in the registry
        "vendor_name": "varchar",            # Nama Vendor (a business name)
        "buyer_agency": "varchar",           # Instansi Pembeli (a government body, not personal)
        "buyer_unit": "varchar",             # Satuan Kerja
        "subtotal": "decimal(18,2)",         # goods value before tax and shipping: the turnover
        "vat": "decimal(18,2)",              # PPN
        "shipping": "decimal(18,2)",         # Ongkos Kirim
        "order_total": "decimal(18,2)",      # Total Pesanan = subtotal + vat + shipping: never turnover
        "order_status": "varchar",           # Selesai counts; the other Mbizmarket statuses do not
        "buyer_contact_name": "varchar",     # PII: Nama PIC Pembeli
        "buyer_contact_email": "varchar",    # PII: Email PIC
        "buyer_contact_phone": "varchar",    # PII: No. HP PIC
    },
    "training_registrations": {
        "activity_id": "varchar",            # Kode Kegiatan, in the activities seed
        "registered_ts_utc": "timestamp",    # Timestamp of the Google Form (WIB) as UTC
        "registered_date_wib": "date",
        "umkm_key": "varchar",               # salted hash of NIK, else NIB
        "nik": "varchar",                    # PII
        "participant_name": "varchar",       # PII: Nama Lengkap
        "whatsapp": "varchar",               # PII: Nomor WhatsApp
        "business_name": "varchar",
        "nib": "varchar",
        "region_code": "varchar",            # null when the form left it empty
        "sector_code": "varchar",            # null when the form left it empty
        "attendance": "varchar",             # Kehadiran as marked: Hadir | Tidak Hadir | null
        "attended": "boolean",               # Kehadiran = Hadir
        "extra_columns": "varchar",          # JSON of the form's other questions (may hold PII)
    },
    "lapak_ganjar_promotions": {
        "shown_date": "date",                # Tanggal Tayang
        "umkm_key": "varchar",               # salted hash of NIK, else NIB
        "nik": "varchar",                    # PII: NIK Pemilik
        "nib": "varchar",
        "business_name": "varchar",
        "region_code": "varchar",            # null when the log left it empty
        "sector_code": "varchar",            # null when the log left it empty
        "product": "varchar",                # Produk
        "post_url": "varchar",               # Tautan Unggahan
    },
}

# Personal data (data contract section 4) and free text that may hold it: raw layer only.
PERSONAL_COLUMNS = frozenset({"nik", "owner_name", "phone", "buyer_username", "recipient_name",
                              "recipient_phone", "shipping_address", "extra_columns", "participant_name",
                              "buyer_contact_name", "buyer_contact_email", "buyer_contact_phone", "whatsapp"})

LEDGER_DDL = """
create table if not exists raw.landing_files (
    landing_path varchar not null,
    sha256 varchar not null,
    source varchar not null,
    status varchar not null,          -- loaded | duplicate | quarantined | superseded
    reason varchar,                   -- why quarantined / duplicate of what / parse notes
    rows_read integer not null default 0,
    rows_loaded integer not null default 0,
    rows_rejected integer not null default 0,
    size_bytes bigint,
    file_landed_at timestamp,
    first_seen timestamp not null,
    loaded_at timestamp,
    published_at timestamp,           -- when the marts that include this version were published;
                                      -- null: part of the change set (ingest/change_set.py)
    primary key (landing_path, sha256)
)
"""

# A warehouse made before the ledger recorded publication gets the column empty: its next run
# treats every version as changed (checks and rebuilds all once), the safe reading.
LEDGER_MIGRATION = "alter table raw.landing_files add column if not exists published_at timestamp"


REJECTS_DDL = """
create table if not exists raw.rejected_rows (
    landing_path varchar not null,
    sha256 varchar not null,
    row_number integer not null,
    reason_code varchar not null,
    reason varchar,                   -- a sentence a person understands
    row_text varchar                  -- the row as the file had it (JSON of cells)
)
"""


def source_table_ddl(table: str) -> str:
    columns = ",\n    ".join(f"{name} {dtype}" for name, dtype in SOURCE_TABLES[table].items())
    return f"create table if not exists raw.{table} ({LINEAGE_COLUMNS},\n    {columns}\n)"


def create_raw_schema(con) -> None:
    """Create the raw schema and its tables if missing (idempotent)."""
    con.execute("create schema if not exists raw")
    con.execute(LEDGER_DDL)
    con.execute(LEDGER_MIGRATION)
    con.execute(REJECTS_DDL)
    for table in SOURCE_TABLES:
        con.execute(source_table_ddl(table))
