"""The suites of the raw layer: one `Target` per raw table, plus the file ledger.

Row rules look at the rows of a check run's scope (`where {scope}`: the file versions not yet
published); see `quality.suites` for scope and severity. Value sets come from the seeds
(`quality.seeds`), never typed here.
"""

from __future__ import annotations

from quality.rules import (
    BY_FILE_VERSION, DATE_MIN, ERROR, MAX_MONTHLY_TURNOVER_IDR, MAX_ORDER_IDR, MAX_WORKERS,  # noqa: F401
    MIN_MONTHLY_TURNOVER_IDR, MIN_ORDER_IDR, RAW_SAMPLE, SCOPE, TYPICAL_MAX_MONTHLY_TURNOVER_IDR,
    TYPICAL_MAX_ORDER_IDR, TYPICAL_MAX_WORKERS, WARN, Suite, Target, at_least, between, in_date_range, in_set,
    matches, not_in_set, not_null, one_of, rows_in_version, rp, schema_suite, sql_list, unique_in_version,
)
from quality.seeds import (
    ACTIVITY_IDS, CONSTRAINT_CODES, FX_CURRENCIES, PROGRAM_IDS, REGION_CODES, SECTOR_CODES, activity_dates, allowed,
    counted, enrolled_on, fx_values,
)

SURVEY_PERIOD = r"^20[0-9][0-9]-(?:0[1-9]|1[0-2])$"   # YYYY-MM, ASCII digits

_SUBMISSION_ROWS = rows_in_version("raw.survey_submissions", "s", ("submission_id",), "submission_rows_in_version")
SURVEY = Target("raw", "survey_submissions", description="KoboToolbox survey submissions",
                scope=BY_FILE_VERSION, suites=(
    schema_suite("survey_submissions", (
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
            nullif(s.validation_status, '') as validation_status
        from raw.survey_submissions s
        {_SUBMISSION_ROWS.join}
        where {SCOPE}
    """, (
        *unique_in_version("submission_rows_in_version", "the Kobo submission id (_id)"),
        not_null("survey_period", "the survey wave (periode_survei) is required"),
        matches("survey_period", SURVEY_PERIOD, "the survey wave is YYYY-MM"),
        in_date_range("survey_period_start", "the survey wave"),
        not_null("umkm_key", "every submission has a UMKM key (from NIK, else NIB)"),
        not_null("region_code", "the region is resolved"),
        in_set("region_code", REGION_CODES, "the region is one of the 35 kabupaten/kota of Jawa Tengah"),
        not_null("sector_code", "the sector is resolved"),
        in_set("sector_code", SECTOR_CODES, "the sector is one of reference/sectors.csv"),
        in_set("scale", allowed("scale"), f"skala_usaha is {one_of(allowed('scale'))}"),
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
        in_set("validation_status", allowed("kobo_validation_status"), "Kobo _validation_status is a known value",
               WARN),
    ), row_table="raw.survey_submissions", sample_columns=(*RAW_SAMPLE, "submission_id"), scoped="s"),
))

_ENROLLMENT_ROWS = rows_in_version("raw.enrollments", "e", ("program_id", "platform_merchant_id"),
                                   "enrollment_rows_in_version",
                                   when="e.program_id is not null and e.platform_merchant_id is not null")
ENROLLMENT = Target("raw", "enrollments", description="program participant registry", scope=BY_FILE_VERSION,
                    suites=(
    schema_suite("enrollments", ("program_id", "umkm_key", "region_code", "sector_code",
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
        in_set("program_id", PROGRAM_IDS, "program_id is one of reference/programs.csv"),
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
    schema_suite("gofood_transactions", ("transaction_id", "transaction_ts_utc", "transaction_date_wib",
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
            case when lower(trim(g.transaction_status)) in ({sql_list(counted('gobiz_status'))})
                 then g.merchant_id in {enrolled_on('gofood')} end as counted_merchant_enrolled
        from raw.gofood_transactions g
        {_GOFOOD_ROWS.join}
        where {SCOPE}
    """, (
        *unique_in_version("transaction_rows_in_version", "Transaction ID"),
        not_null("merchant_id", "Merchant ID is required (orders match enrollments on it)"),
        not_null("transaction_status", "Transaction Status is required"),
        in_set("transaction_status", allowed("gobiz_status"),
               "Transaction Status is a known GoBiz status (an unknown one would silently not count)"),
        in_set("currency", allowed("gobiz_currency"), "GoBiz settles in rupiah"),
        not_null("amount", "Amount is required"),
        between("amount", f"Amount between {rp(MIN_ORDER_IDR)} and {rp(MAX_ORDER_IDR)}: below, the file's "
                          f"amounts are in thousands (or '100.000' was read as 100)", MIN_ORDER_IDR, MAX_ORDER_IDR),
        between("nett_amount", "Nett Amount is non-negative", 0, MAX_ORDER_IDR),
        at_least("amount", "nett_amount", "Nett Amount (after fees) is not above the gross Amount", WARN),
        between("amount", f"Amount above {rp(TYPICAL_MAX_ORDER_IDR)} is unusual for one GoBiz order",
                max_value=TYPICAL_MAX_ORDER_IDR, severity=WARN),
        in_set("feature", allowed("gobiz_feature"), "Feature is a known GoBiz feature", WARN),
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
    schema_suite("shopee_order_lines", ("shop_id", "order_id", "order_status", "order_created_ts_utc",
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
            case when s.order_status in ({sql_list(counted('shopee_status'))})
                 then s.shop_id in {enrolled_on('shopee')} end as counted_merchant_enrolled
        from raw.shopee_order_lines s
        {_SHOPEE_ROWS.join}
        where {SCOPE}
    """, (
        *unique_in_version("order_line_rows_in_version",
                           "the order line (shop, No. Pesanan, Nomor Referensi SKU, Nama Variasi)"),
        not_null("shop_id", "the shop id (from the folder) is required"),
        not_null("order_status", "Status Pesanan is required"),
        in_set("order_status", allowed("shopee_status"),
               "Status Pesanan is a known Seller Centre status (an unknown one would silently not count)"),
        not_null("price_after_discount", "Harga Setelah Diskon is required (line turnover)"),
        between("price_after_discount", "Harga Setelah Diskon is non-negative and below Rp 1 miliar",
                0, MAX_ORDER_IDR),
        between("order_total_payment", f"Total Pembayaran between {rp(MIN_ORDER_IDR)} and {rp(MAX_ORDER_IDR)}: "
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
    schema_suite("uvo_transactions", ("transaction_id", "participant_id", "transaction_ts_utc",
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
            case when lower(trim(u.status)) in ({sql_list(counted('uvo_status'))})
                 then u.participant_id in {enrolled_on('uvo')} end as counted_merchant_enrolled
        from raw.uvo_transactions u
        left join {fx_values()}
            on fx.month = strftime(u.transaction_date_wib, '%Y-%m') and fx.currency = upper(trim(u.currency))
        {_UVO_ROWS.join}
        where {SCOPE}
    """, (
        *unique_in_version("transaction_rows_in_version", "id_transaksi"),
        not_null("participant_id", "id_peserta is required (orders match enrollments on it)"),
        not_null("status", "status is required"),
        in_set("status", allowed("uvo_status"), f"status is {one_of(allowed('uvo_status'))}"),
        not_null("currency", "mata_uang is required"),
        in_set("currency", FX_CURRENCIES, "mata_uang is a currency of reference/fx_rates_monthly.csv"),
        not_null("idr_per_unit", "an FX rate exists for the currency and the month of the transaction"),
        matches("buyer_country", r"^[A-Z]{2}$", "negara_pembeli is an ISO 3166 alpha-2 code"),
        between("amount", "nilai is non-negative", min_value=0),
        between("amount_idr_estimate", f"the amount in rupiah is between {rp(MIN_ORDER_IDR)} and "
                                       f"{rp(MAX_ORDER_IDR)}", MIN_ORDER_IDR, MAX_ORDER_IDR),
        between("amount_idr_estimate", f"an expo order above {rp(TYPICAL_MAX_ORDER_IDR)} is unusual",
                max_value=TYPICAL_MAX_ORDER_IDR, severity=WARN),
        not_null("transaction_date_wib", "tanggal_transaksi is known"),
        in_date_range("transaction_date_wib", "the transaction date (WIB)"),
        in_set("counted_merchant_enrolled", (True,),
               "the exhibitor of every paid transaction is enrolled in an expo program", WARN),
    ), row_table="raw.uvo_transactions", sample_columns=(*RAW_SAMPLE, "transaction_id"), scoped="u"),
))

MAX_PROCUREMENT_ORDER_IDR = 200_000_000   # WARN: a government order of a UMKM above this is unusual
_MBIZ_ROWS = rows_in_version("raw.mbizmarket_orders", "m", ("order_id",), "order_rows_in_version")
MBIZMARKET = Target("raw", "mbizmarket_orders", description="Mbizmarket vendor order exports",
                    reads=("raw.enrollments",), scope=BY_FILE_VERSION, suites=(
    schema_suite("mbizmarket_orders", ("order_id", "order_ts_utc", "order_date_wib", "vendor_id", "subtotal",
                                        "vat", "shipping", "order_total", "order_status")),
    Suite("raw.mbizmarket_orders", f"""
        select m.rowid as _rowid,
            {_MBIZ_ROWS.column},
            m.vendor_id, m.order_status, m.order_date_wib,
            cast(m.subtotal as double) as subtotal,
            cast(m.order_total as double) as order_total,
            abs(cast(m.subtotal + coalesce(m.vat, 0) + coalesce(m.shipping, 0) - m.order_total as double))
                as total_gap,
            case when m.order_status in ({sql_list(counted('mbizmarket_status'))})
                 then m.vendor_id in {enrolled_on('mbizmarket')} end as counted_vendor_enrolled
        from raw.mbizmarket_orders m
        {_MBIZ_ROWS.join}
        where {SCOPE}
    """, (
        *unique_in_version("order_rows_in_version", "No. Pesanan"),
        not_null("vendor_id", "ID Vendor is required (orders match the registry on it)"),
        in_set("order_status", allowed("mbizmarket_status"),
               "Status Pesanan is a known Mbizmarket status (an unknown one would silently not count)"),
        not_null("subtotal", "Subtotal is required: it is the turnover"),
        between("subtotal", f"Subtotal between {rp(MIN_ORDER_IDR)} and {rp(MAX_ORDER_IDR)}",
                MIN_ORDER_IDR, MAX_ORDER_IDR),
        between("total_gap", "Subtotal + PPN + Ongkos Kirim makes Total Pesanan (within Rp 1): else one of the "
                             "amounts is wrong, and the turnover with it", 0, 1),
        between("subtotal", f"a procurement order above {rp(MAX_PROCUREMENT_ORDER_IDR)} is unusual for a UMKM",
                max_value=MAX_PROCUREMENT_ORDER_IDR, severity=WARN),
        not_null("order_date_wib", "Tanggal Pesanan is known"),
        in_date_range("order_date_wib", "the order date (WIB)"),
        in_set("counted_vendor_enrolled", (True,),
               "the vendor of every completed order is enrolled in an Mbizmarket program", WARN),
    ), row_table="raw.mbizmarket_orders", sample_columns=(*RAW_SAMPLE, "order_id"), scoped="m"),
))

TRAINING = Target("raw", "training_registrations", description="training, bimtek and workshop registrations",
                  scope=BY_FILE_VERSION, suites=(
    schema_suite("training_registrations", ("activity_id", "registered_ts_utc", "registered_date_wib", "umkm_key",
                                             "business_name", "region_code", "sector_code", "attendance",
                                             "attended")),
    Suite("raw.training_registrations", f"""
        select t.rowid as _rowid,
            t.activity_id, t.umkm_key, t.region_code, t.sector_code, t.attendance, t.registered_date_wib,
            case when t.attended then t.registered_date_wib <= activity.end_date end as registered_before_attending
        from raw.training_registrations t
        left join {activity_dates()} on activity.activity_id = t.activity_id
        where {SCOPE}
    """, (
        not_null("activity_id", "Kode Kegiatan is required"),
        in_set("activity_id", ACTIVITY_IDS, "Kode Kegiatan is an activity of reference/activities.csv"),
        not_null("umkm_key", "every registration has a UMKM key (from NIK, else NIB)"),
        in_set("region_code", REGION_CODES, "the region is one of the 35 kabupaten/kota of Jawa Tengah"),
        in_set("sector_code", SECTOR_CODES, "the sector is one of reference/sectors.csv"),
        in_set("attendance", allowed("training_attendance"),
               f"Kehadiran is {one_of(allowed('training_attendance'))} or empty"),
        not_null("registered_date_wib", "the registration time (Timestamp) is known"),
        in_date_range("registered_date_wib", "the registration date"),
        in_set("registered_before_attending", (True,),
               "an attendee registered before the activity ended: a later registration marked Hadir is on the "
               "wrong row or the wrong activity"),
    ), row_table="raw.training_registrations", sample_columns=(*RAW_SAMPLE, "activity_id"), scoped="t"),
))

LAPAK_GANJAR = Target("raw", "lapak_ganjar_promotions", description="Lapak Ganjar promotion log",
                      scope=BY_FILE_VERSION, suites=(
    schema_suite("lapak_ganjar_promotions", ("shown_date", "umkm_key", "business_name", "region_code",
                                              "sector_code")),
    Suite("raw.lapak_ganjar_promotions", f"""
        select p.rowid as _rowid, p.shown_date, year(p.shown_date) as shown_year, p.umkm_key, p.region_code,
            p.sector_code
        from raw.lapak_ganjar_promotions p
        where {SCOPE}
    """, (
        not_null("shown_date", "Tanggal Tayang is required"),
        between("shown_year", "Tanggal Tayang is in 2020-2030 (the storefront began in 2020)", 2020, 2030),
        in_date_range("shown_date", "the promotion date"),
        not_null("umkm_key", "every promotion has a UMKM key (from NIK, else NIB)"),
        in_set("region_code", REGION_CODES, "the region is one of the 35 kabupaten/kota of Jawa Tengah"),
        in_set("sector_code", SECTOR_CODES, "the sector is one of reference/sectors.csv"),
    ), row_table="raw.lapak_ganjar_promotions", sample_columns=(*RAW_SAMPLE, "shown_date"), scoped="p"),
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
        in_set("status", allowed("ledger_status"), f"the file status is {one_of(allowed('ledger_status'))}"),
        in_set("source", allowed("landing_source"), "the source is one of the landing folders"),
        between("rows_unaccounted", "rows read = rows loaded + rows rejected: nothing is lost silently", 0, 0),
        between("current_versions_of_path", "a landing path has at most one current version", max_value=1),
        not_in_set("status", ("quarantined",), "no file is quarantined (see its reason)", WARN),
        between("rejected_share", "a loaded file rejects at most 5% of its rows", 0, 0.05, WARN),
    ), row_table="raw.landing_files", sample_columns=("landing_path", "status")),
))

RAW_TARGETS = (SURVEY, ENROLLMENT, GOFOOD, SHOPEE, UVO, MBIZMARKET, TRAINING, LAPAK_GANJAR, LEDGER)
