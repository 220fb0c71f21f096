-- Reference 2 of the benchmark: the marts of `umkm run`, computed by one DuckDB SQL script.
--
-- Run by reference_duckdb.py, which registers the landing files as views src_<source> (every
-- data-contract column as text, as in the file; file_rank = position in the landing order;
-- row_order = position in the file), the table `files` (per file: file_rank, shop_id and the
-- layout flags has_*) and the table json_uvo_files; {{seeds}} and {{salt}} are filled in.
-- The rules are the pipeline's (ingest/values.py, ingest/sources/*.py, dbt_project/models): a row
-- with a cell that breaks a rule is rejected; the latest landed version of an entity wins
-- (file_rank desc: mtime, then path); the marts are built as the dbt models build them.
--
-- Written for speed (issue 12): every file is read once, into <source>_raw. A cell is cleaned and
-- parsed either per row by a cheap exact fast path (`fclean`; the timestamp shapes of
-- `moment_kind`, one strptime each), or once per distinct raw text (money, counts, NIK/NIB and
-- their UMKM key, survey periods, regions, the timestamps of other shapes), joined back on the
-- raw text: a join probe costs less than cleaning the cell. All threads.

-- ================================================================ reference data (dbt seeds)

create table seed_regions as select * from read_csv('{{seeds}}/regions_jateng.csv', all_varchar = true);
create table seed_programs as
select program_id, program_name, lower(trim(platform)) as platform, nullif(trim(feature), '') as feature,
       start_date::date as start_date, end_date::date as end_date
from read_csv('{{seeds}}/programs.csv', all_varchar = true);
create table seed_fx as
select month, currency, idr_per_unit::decimal(18, 6) as idr_per_unit
from read_csv('{{seeds}}/fx_rates_monthly.csv', all_varchar = true);
create table seed_activities as select activity_id from read_csv('{{seeds}}/activities.csv', all_varchar = true);

-- Python's str.strip() removes every Unicode space; DuckDB's trim() only ' ' unless told.
set variable ws = ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30)
    || chr(31) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196)
    || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233)
    || chr(8239) || chr(8287) || chr(12288);
create macro ws() as getvariable('ws');
-- The edge test first: trim() with this set is slow, and almost no cell needs it.
create macro pystrip(s) as case when contains(ws(), left(s, 1)) or contains(ws(), right(s, 1)) then trim(s, ws()) else s end;

-- clean_text: the empty markers are NULL; surrounding spaces and a leading apostrophe go.
create macro clean_stripped(p) as
    case when p is null or p = '' then null
         when starts_with(p, '''') or ends_with(p, '''') then       -- rare: the exact, slower path
              case when lower(pystrip(trim(p, ''''))) in ('', '-', '--', 'null', 'none', 'nan', 'n/a', 'na') then null
                   when starts_with(p, '''') then nullif(pystrip(p[2:]), '') else p end
         when length(p) <= 4 and lower(p) in ('-', '--', 'null', 'none', 'nan', 'n/a', 'na') then null
         else p end;
create macro clean(s) as clean_stripped(pystrip(s));

-- fclean(s) = clean(s), fast: a cell whose first and last characters are printable ASCII other
-- than the apostrophe, and that is not an empty marker, is its own clean text; so is the rest
-- of a cell that starts with one apostrophe (GoBiz ids: 'F-852457710). Anything else: clean().
create macro plain_edge(c) as c between 33 and 126 and c <> 39;
create macro fclean(s) as
    case when s is null or s = '' then null
         when plain_edge(ascii(s)) and plain_edge(ascii(s[-1]))
              and (strlen(s) > 4 or ascii(s) between 48 and 57 or lower(s) not in ('-', '--', 'null', 'none', 'nan', 'n/a', 'na'))
              then s
         when ascii(s) = 39 and strlen(s) > 5 and plain_edge(ascii(substr(s, 2, 1))) and plain_edge(ascii(s[-1]))
              then substr(s, 2)
         else clean(s) end;

-- Survey labels -> codes, as ingest/reference.py builds them (a later row's label wins).
create table label_codes as
with sectors as (select *, row_number() over () as n from read_csv('{{seeds}}/sectors.csv', all_varchar = true)),
constraints as (select *, row_number() over () as n from read_csv('{{seeds}}/constraints.csv', all_varchar = true)),
labels as (
    select 'sector' as kind, sector_code as code, n,
           unnest(list_prepend(sector_code, string_split(survey_labels, '|'))) as label from sectors
    union all
    select 'constraint', constraint_code, n,
           unnest(list_prepend(constraint_code, string_split(survey_labels, '|'))) from constraints)
select kind, lower(pystrip(label)) as label, arg_max(code, n) as code
from labels where label <> '' group by all;

-- Region names: 'Kab. Boyolali' -> ('Kabupaten', 'boyolali'); 'Semarang' -> (null, 'semarang').
create macro squeezed(name) as regexp_replace(lower(pystrip(name)), '[' || ws() || ']+', ' ', 'g');
create macro region_type(n) as
    case when starts_with(n, 'kabupaten ') or starts_with(n, 'kab.') or starts_with(n, 'kab ') then 'Kabupaten'
         when starts_with(n, 'kota ') then 'Kota' end;
create macro region_base(n) as
    pystrip(case when starts_with(n, 'kabupaten ') then n[11:] when starts_with(n, 'kab.') then n[5:]
                 when starts_with(n, 'kab ') then n[5:] when starts_with(n, 'kota ') then n[6:] else n end);
create table region_names as
select region_code, region_type(squeezed(region_name)) as region_type, region_base(squeezed(region_name)) as base
from seed_regions;

-- ================================================================ value parsers (pure expressions)
-- Each gives NULL for a cell that breaks its rule; a row is rejected when a non-empty cell
-- parses to NULL: bad(cell, value).
create macro bad(cell, value) as cell is not null and value is null;
create macro plausible(ts) as case when year(ts) between 1990 and 2049 then ts end;  -- not 1900, not 2099
create macro utc_of(local, offset_minutes, naive_minutes) as
    plausible(local - to_minutes(coalesce(offset_minutes, naive_minutes)));
create macro date_of(local) as plausible(local)::date;
create macro wib_date(utc) as (utc + interval 7 hour)::date;

-- Whole non-negative numbers (workers, quantities); '.' and ',' are thousands separators.
create macro count_text(t) as replace(replace(ltrim(t, ''''), '.', ''), ',', '');
create macro count_of(t) as
    case when regexp_full_match(count_text(t), '[0-9]{1,18}|-0+') then count_text(t)::bigint end;

-- NIK is 16 digits, NIB 13, once spaces, dots and dashes are gone.
create macro id_digits(t) as regexp_replace(t, '[' || ws() || '.\-]', '', 'g');
create macro nik_of(t) as case when regexp_full_match(id_digits(t), '[0-9]{16}') then id_digits(t) end;
create macro nib_of(t) as case when regexp_full_match(id_digits(t), '[0-9]{13}') then id_digits(t) end;

create macro umkm_key(nik, nib) as
    left(sha256(case when nik is not null then '{{salt}}|nik|' || nik else '{{salt}}|nib|' || nib end), 32);

-- A JSON number is exact: rounded to cents, never read with the thousands rule of text.
create macro json_number(t) as coalesce(try_cast(t as decimal(38, 18)), try_cast(try_cast(t as double) as decimal(38, 18)));
create macro number_money(t) as
    case when json_number(t) >= 0 and json_number(t) < 10000000000000000::decimal(38, 18)
         then round_even(json_number(t), 2)::decimal(18, 2) end;

-- Timestamps of the shapes the exports use, parsed per row (exactly as the `moments` rules
-- below parse them): 1 = ISO with Z (GoBiz), 2 = ISO with an offset (Kobo start/end),
-- 3 = ISO without a zone (Kobo _submission_time), 4 = 'YYYY-MM-DD HH:MM[:SS]' (Shopee, UVO).
-- A raw text of one of these shapes is its own clean text. 0: any other text, parsed once per
-- distinct text in `moments`.
create macro moment_kind(t) as
    case when regexp_full_match(t, '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z') then 1
         when regexp_full_match(t, '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?[+-][0-9]{2}:[0-9]{2}')
              then 2
         when regexp_full_match(t, '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}') then 3
         when regexp_full_match(t, '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}(:[0-9]{2})?') then 4
         else 0 end;
create macro fast_local(t, k) as
    case when k in (1, 2, 3)
         then try_strptime(left(t, 19), '%Y-%m-%dT%H:%M:%S')
              + to_microseconds(case when k < 3 and substr(t, 20, 1) = '.'
                                     then rpad(t[21:strlen(t) - case k when 1 then 1 else 6 end], 6, '0')::bigint
                                     else 0 end)
         when k = 4 then case when strlen(t) = 16 then try_strptime(t, '%Y-%m-%d %H:%M')
                              else try_strptime(t, '%Y-%m-%d %H:%M:%S') end end;
create macro fast_offset(t, k) as
    case k when 1 then 0
           when 2 then (case when substr(t, strlen(t) - 5, 1) = '-' then -1 else 1 end)
                       * (substr(t, strlen(t) - 4, 2)::int * 60 + right(t, 2)::int) end;
-- A timestamp cell: `raw` and its kind `k`, `m` the `moments` row joined on the raw text (kind 0).
create macro moment_text(raw, k, m_t) as case when k > 0 then raw else m_t end;
create macro moment_local(raw, k, m_local) as case when k > 0 then fast_local(raw, k) else m_local end;
create macro moment_offset(raw, k, m_offset) as case when k > 0 then fast_offset(raw, k) else m_offset end;
create macro moment_us_local(raw, k, m_us_local) as
    case when k in (1, 2) then fast_local(raw, k) when k > 0 then null else m_us_local end;

-- ================================================================ the landing rows, read once

create table gofood_raw as
select *, moment_kind(transaction_time) as k_time, moment_kind(transaction_date) as k_date from src_gofood;

create table shopee_raw as
select s.*, f.shop_id, f.has_price, f.has_total_payment,
       moment_kind(waktu_pesanan_dibuat) as k_created, moment_kind(waktu_pesanan_selesai) as k_completed
from src_shopee s join files f using (file_rank);

create table survey_raw as
select s.*, f.has_id, f.has_uuid, moment_kind(_submission_time) as k_submitted, moment_kind("start") as k_started,
       moment_kind("end") as k_ended
from src_survey s join files f using (file_rank);

create table enrollment_raw as select *, moment_kind(tanggal_bergabung) as k_joined from src_enrollment;

-- UVO JSON: an array of objects, or {"transaksi": [...]}; anything else is quarantined (no rows).
-- A JSON number keeps its number semantics (amount_is_number), as the pipeline's reader does.
create table uvo_json_records as
with docs as (
    select f.file_rank, case when json_valid(content) then content::json end as doc
    from json_uvo_files j join files f on f.read_path = j.filename),
lists as (
    select file_rank, case json_type(doc) when 'ARRAY' then doc when 'OBJECT' then doc -> '$.transaksi' end as recs
    from docs),
records as (
    select file_rank, unnest(json_extract(recs, '$[*]')) as rec,
           unnest(range(1, json_array_length(recs)::bigint + 1)) as row_order
    from lists where json_type(recs) = 'ARRAY'),
usable as (   -- every record an object, each required key present in some record
    select file_rank from records group by file_rank
    having bool_and(json_type(rec) = 'OBJECT')
       and list_has_all(flatten(list(json_keys(rec))), ['id_transaksi', 'id_peserta', 'tanggal_transaksi',
                                                         'negara_pembeli', 'mata_uang', 'nilai', 'status'])),
fields as (    -- each record parsed once for its values and once for their types (a list of paths each)
    select file_rank, row_order,
           json_extract_string(rec, ['$.id_transaksi', '$.id_peserta', '$.tanggal_transaksi', '$.negara_pembeli',
                                     '$.mata_uang', '$.nilai', '$.status']) as v,
           json_type(rec, ['$.id_transaksi', '$.id_peserta', '$.tanggal_transaksi', '$.negara_pembeli', '$.mata_uang',
                           '$.nilai', '$.status', '$.nama_peserta']) as types
    from records semi join usable using (file_rank))
select file_rank, row_order, v[1] as id_transaksi, v[2] as id_peserta, v[3] as tanggal_transaksi, v[4] as negara_pembeli,
       v[5] as mata_uang, v[6] as nilai, v[7] as status,
       types[6] in ('BIGINT', 'UBIGINT', 'DOUBLE') as nilai_is_number,
       -- a nested object or array is not a cell value: the row is rejected
       list_has_any(types, ['OBJECT', 'ARRAY']) as nested
from fields;

create table uvo_raw as
select *, moment_kind(tanggal_transaksi) as k_time from (
    select file_rank, row_order, id_transaksi, id_peserta, tanggal_transaksi, negara_pembeli, mata_uang, nilai, status,
           false as amount_is_number, false as nested
    from src_uvo
    union all
    select file_rank, row_order, id_transaksi, id_peserta, tanggal_transaksi, negara_pembeli, mata_uang, nilai, status,
           nilai_is_number, nested
    from uvo_json_records);

-- The small sources: their few timestamps all go through `moments` (below), none per row.
create table mbizmarket_raw as select * from src_mbizmarket;
create table training_raw as select * from src_training;
create table lapak_ganjar_raw as select * from src_lapak_ganjar;

-- ================================================================ money, once per distinct text
-- values.py parse_money: 'Rp 15.000.000', '2.273,67', '1,250,000', '15 juta', '(5.000)', '5.000,-'.
-- One separator followed by exactly three digits is a thousands separator (169.000), unless a
-- unit follows (2,5 juta). Negative or non-numeric amounts are NULL (the row is rejected).
-- Keyed by the raw text: `t` is its clean text (NULL: an empty cell), `amount` NULL when t is bad.

create table money as
with raw_texts as (
    select distinct raw from (
        select omzet_sebelum as raw from survey_raw union all select omzet_sesudah from survey_raw
        union all select amount from gofood_raw union all select nett_amount from gofood_raw
        union all select gopay_promo from gofood_raw union all select gofood_discount from gofood_raw
        union all select voucher_commission from gofood_raw union all select tax from gofood_raw
        union all select witholding_tax from gofood_raw
        union all select harga_setelah_diskon from shopee_raw union all select total_harga_produk from shopee_raw
        union all select total_pembayaran from shopee_raw union all select dibayar_pembeli from shopee_raw
        union all select nilai from uvo_raw where not amount_is_number
        union all select subtotal from mbizmarket_raw union all select ppn from mbizmarket_raw
        union all select ongkos_kirim from mbizmarket_raw union all select total_pesanan from mbizmarket_raw)
    where raw is not null),
cleaned as (select raw, clean(raw) as t from raw_texts),
texts as (select distinct t from cleaned where t is not null),
normalised as (
    select t, replace(replace(lower(pystrip(ltrim(pystrip(t), ''''))), chr(160), ' '), chr(8722), '-') as s from texts),
unprefixed as (   -- '-Rp 5.000'
    select t, starts_with(s, '-') as minus, regexp_replace(pystrip(ltrim(s, '-')), '^(rp\.?|idr)\s*', '') as s
    from normalised),
unwrapped as (    -- '(5.000)'
    select t, minus or (starts_with(s, '(') and ends_with(s, ')')) as negative, replace(trim(s, '()'), ' ', '') as s
    from unprefixed),
suffixed as (     -- 'Rp 15.000,-' means no cents; '5.000-' is an accounting minus
    select t,
           negative or (ends_with(s, '-') and not starts_with(s, '-') and not ends_with(s, ',-')
                        and not ends_with(s, '.-')) as negative,
           rtrim(case when ends_with(s, ',-') or ends_with(s, '.-') then left(s, -2)
                      when ends_with(s, '-') and not starts_with(s, '-') then left(s, -1) else s end, '.') as s
    from unwrapped),
parts as (
    select t, regexp_full_match(s, '-?[0-9][0-9.,]*[a-z]*') as ok,
           negative or starts_with(s, '-') as negative,
           regexp_extract(s, '^-?([0-9][0-9.,]*)', 1) as n,
           nullif(regexp_extract(s, '([a-z]*)$', 1), '') as unit
    from suffixed),
separated as (
    select *, length(n) - length(replace(n, '.', '')) as dots, length(n) - length(replace(n, ',', '')) as commas,
           regexp_extract(n, '^(.*)[.,]([0-9]*)$', ['whole', 'tail']) as last,
           regexp_extract(n, '([.,])[0-9]*$', 1) as last_sep
    from parts),
numbers as (
    select t, negative, unit,
        case
            when not ok or coalesce(unit not in ('ribu', 'rb', 'k', 'juta', 'jt', 'miliar', 'milyar', 'm', 'triliun'), false)
                then null
            when dots = 0 and commas = 0 then n
            when dots > 0 and commas > 0 then        -- the later separator is the decimal one: 2.273,67
                case when regexp_full_match(last.whole, case last_sep when ',' then '[0-9]{1,3}(\.[0-9]{3})*'
                                                                       else '[0-9]{1,3}(,[0-9]{3})*' end)
                     then replace(replace(last.whole, '.', ''), ',', '') || '.' || last.tail end
            when dots + commas > 1 then              -- 15.000.000, 1,250,000
                case when regexp_full_match(n, '[0-9]{1,3}([.,][0-9]{3})*') then replace(replace(n, '.', ''), ',', '') end
            when length(last.tail) = 3 and unit is null then last.whole || last.tail    -- 169.000
            when last.tail = '' then null
            else last.whole || '.' || last.tail end as number      -- 2,5 juta, 1250.5
    from separated),
scaled as (
    select t, negative, number,
           case unit when 'ribu' then 3 when 'rb' then 3 when 'k' then 3 when 'juta' then 6 when 'jt' then 6
                     when 'miliar' then 9 when 'milyar' then 9 when 'm' then 9 when 'triliun' then 12 else 0 end as power,
           length(ltrim(split_part(number, '.', 1), '0')) as int_digits
    from numbers where number is not null),
amounts as (
    select t, negative,
           case when int_digits - 1 + power < 16     -- else it is 1e16 or more: beyond decimal(18,2)
                then round_even(try_cast(number as decimal(38, 18))
                                * case power when 0 then 1 when 3 then 1000 when 6 then 1000000 when 9 then 1000000000
                                             else 1000000000000 end, 2) end as a
    from scaled),
parsed as (
    select texts.t, case when a < 10000000000000000::decimal(38, 2) and (a = 0 or not negative) then a::decimal(18, 2) end
           as amount
    from texts left join amounts using (t))
select cleaned.raw, cleaned.t, parsed.amount from cleaned left join parsed on parsed.t = cleaned.t;

-- Money texts that are not amounts: rows holding one in any money column are rejected.
create table bad_money as select raw from money where t is not null and amount is null;

-- ================================================================ dates and times, once per distinct text
-- The texts of no `moment_kind`. values.py _to_datetime: an Excel serial as text, ISO with an
-- offset (2021-09-05T14:03:04.000+07:00, ...Z), or a zone-less format (fractional seconds dropped).
-- `local` is the wall-clock time, `offset_minutes` the zone when the text names one; `us_local`
-- reads mm/dd/yyyy (GoBiz dates). Keyed by the raw text, `t` its clean text.

create table moments as
with raw_texts as (
    select distinct raw from (
        select _submission_time as raw from survey_raw where k_submitted = 0
        union all select "start" from survey_raw where k_started = 0
        union all select "end" from survey_raw where k_ended = 0
        union all select tanggal_bergabung from enrollment_raw where k_joined = 0
        union all select transaction_time from gofood_raw where k_time = 0
        union all select transaction_date from gofood_raw where k_date = 0
        union all select waktu_pesanan_dibuat from shopee_raw where k_created = 0
        union all select waktu_pesanan_selesai from shopee_raw where k_completed = 0
        union all select tanggal_transaksi from uvo_raw where k_time = 0
        union all select tanggal_pesanan from mbizmarket_raw union all select "timestamp" from training_raw
        union all select tanggal_tayang from lapak_ganjar_raw)
    where raw is not null),
cleaned as (select raw, clean(raw) as t from raw_texts),
texts as (select distinct t from cleaned where t is not null),
kinds as (
    select t,
           regexp_full_match(t, '[0-9]{5}(\.[0-9]+)?') as is_serial,
           regexp_matches(t, '(Z|[+-][0-9]{2}:?[0-9]{2})$') and contains(left(t, 10), '-') as is_iso,
           regexp_extract(t, '^([0-9]{4}-[0-9]{2}-[0-9]{2}).([0-9]{2})(?::([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]+))?)?)?'
                             || '(Z|[+-][0-9]{2}:?[0-9]{2})$', ['d', 'h', 'mi', 's', 'f', 'zone']) as iso,
           regexp_replace(ltrim(t, ''''), '\.[0-9]+$', '') as plain
    from texts),
fixed as (
    select t, is_serial, is_iso, plain,
           case when is_serial then timestamp '1899-12-30' + to_microseconds(round(t::double * 86400000000)::bigint)
                when is_iso then try_strptime(iso.d || ' ' || iso.h || ':' || coalesce(nullif(iso.mi, ''), '00') || ':'
                                              || coalesce(nullif(iso.s, ''), '00') || '.' || rpad(left(iso.f, 6), 6, '0'),
                                              '%Y-%m-%d %H:%M:%S.%f') end as fixed_local,
           case when not is_iso or iso.zone = '' then null when iso.zone = 'Z' then 0
                else (case when starts_with(iso.zone, '-') then -1 else 1 end)
                     * (iso.zone[2:3]::int * 60 + right(iso.zone, 2)::int) end as offset_minutes
    from kinds),
parsed as (
    select t, offset_minutes,
           case when is_serial or is_iso then fixed_local
                else try_strptime(plain, ['%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%dT%H:%M',
                                          '%Y-%m-%d', '%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d/%m/%Y', '%d-%m-%Y']) end as local,
           case when is_serial or is_iso then fixed_local
                else try_strptime(plain, ['%m/%d/%Y', '%m/%d/%Y %H:%M:%S', '%m/%d/%Y %H:%M']) end as us_local
    from fixed)
select cleaned.raw, cleaned.t, parsed.offset_minutes, parsed.local, parsed.us_local
from cleaned left join parsed on parsed.t = cleaned.t;


-- ================================================================ other cells, once per distinct text

-- Text cells of few distinct values, cleaned once per distinct raw text, per source.
create table gofood_texts as
select raw, clean(raw) as t from (
    select transaction_status as raw from gofood_raw union select feature from gofood_raw
    union select merchant_id from gofood_raw union select currency from gofood_raw)
where raw is not null;
create table shopee_texts as
select raw, clean(raw) as t from (
    select status_pesanan as raw from shopee_raw union select nomor_referensi_sku from shopee_raw
    union select nama_variasi from shopee_raw)
where raw is not null;
create table survey_texts as
select raw, clean(raw) as t from (
    select nama_usaha as raw from survey_raw union select sektor_usaha from survey_raw
    union select terdampak_covid from survey_raw union select skala_usaha from survey_raw
    union select kendala_utama from survey_raw union select _validation_status from survey_raw)
where raw is not null;
-- ... and of the small sources (Mbizmarket, training lists, the Lapak Ganjar log), together.
create table small_texts as
select raw, clean(raw) as t from (
    select status_pesanan as raw from mbizmarket_raw union select id_vendor from mbizmarket_raw
    union select kode_kegiatan from training_raw union select nama_usaha from training_raw
    union select bidang_usaha from training_raw union select kehadiran from training_raw
    union select nama_usaha from lapak_ganjar_raw union select bidang_usaha from lapak_ganjar_raw)
where raw is not null;

-- Whole numbers: workers, quantities.
create table counts as
with raw_texts as (
    select distinct raw from (
        select tenaga_kerja_sebelum as raw from survey_raw union all select tenaga_kerja_sesudah from survey_raw
        union all select jumlah from shopee_raw union all select returned_quantity from shopee_raw)
    where raw is not null)
select raw, clean(raw) as t, count_of(clean(raw)) as n from raw_texts;

-- NIK and NIB, with the UMKM key each gives.
create table niks as
with raw_texts as (
    select distinct raw from (
        select nik_pemilik as raw from survey_raw union all select nik_pemilik from enrollment_raw
        union all select nik from training_raw union all select nik_pemilik from lapak_ganjar_raw)
    where raw is not null),
cleaned as (select raw, clean(raw) as t from raw_texts)
select raw, t, nik_of(t) as digits, umkm_key(nik_of(t), null) as umkm_key from cleaned;
create table nibs as
with raw_texts as (
    select distinct raw from (
        select nib as raw from survey_raw union all select nib from enrollment_raw
        union all select nib__jika_ada_ from training_raw union all select nib from lapak_ganjar_raw)
    where raw is not null),
cleaned as (select raw, clean(raw) as t from raw_texts)
select raw, t, nib_of(t) as digits, umkm_key(null, nib_of(t)) as umkm_key from cleaned;

-- Survey waves: '2021-03' (or with a day) -> 'YYYY-MM'.
create table periods as
with cleaned as (select raw, clean(raw) as t from (select distinct periode_survei as raw from survey_raw) where raw is not null)
select raw, t,
       case when regexp_full_match(t, '[0-9]{4}-[0-9]{1,2}(-[0-9]{1,2})?') and split_part(t, '-', 2)::int between 1 and 12
            then split_part(t, '-', 1) || '-' || lpad(split_part(t, '-', 2)::int::varchar, 2, '0') end as survey_period
from cleaned;

-- Regions, once per distinct (code, name) pair: kode_kabkota (3374 or 33.74) wins; else the
-- official name; a bare 'Semarang' is ambiguous.
create table region_pairs as
with pairs as (
    select kode_kabkota as raw_code, kabupaten_kota as raw_name from survey_raw
    union select kode_kabkota, kabupaten_kota from enrollment_raw),
cleaned as (select raw_code, raw_name, clean(raw_code) as code, clean(raw_name) as name from pairs),
squeezed as (select *, squeezed(name) as n from cleaned),    -- once: the macros below use it a dozen times
named as (select *, region_type(n) as rtype, region_base(n) as base from squeezed),
unique_bases as (select base, any_value(region_code) as region_code from region_names group by base having count(*) = 1)
select named.raw_code, named.raw_name,
       case when named.code is not null then by_code.region_code
            when named.rtype is not null then by_name.region_code
            else unique_bases.region_code end as region_code
from named
left join seed_regions by_code on by_code.region_code = replace(replace(named.code, '.', ''), ' ', '')
left join region_names by_name on by_name.region_type = named.rtype and by_name.base = named.base
left join unique_bases on unique_bases.base = named.base;

-- One region column holding a name or a BPS code, as staff fill a form (training lists, the Lapak
-- Ganjar log): a cell shaped like a code ('3374', '33.74', '33 74') is resolved as a code, anything
-- else as a name. `t` NULL: an empty cell (no region, no error); region_code NULL: the row is rejected.
create table region_cells as
with cleaned as (
    select raw, clean(raw) as t from (
        select kabupaten_kota as raw from training_raw union select kabupaten_kota from lapak_ganjar_raw)
    where raw is not null),
squeezed as (select *, squeezed(t) as n from cleaned),
named as (
    select *, regexp_full_match(t, '''?\s*[0-9]{2}\s*\.?\s*[0-9]{2}\s*') as code_like,
           region_type(n) as rtype, region_base(n) as base
    from squeezed),
unique_bases as (select base, any_value(region_code) as region_code from region_names group by base having count(*) = 1)
select named.raw, named.t,
       case when named.code_like then by_code.region_code
            when named.rtype is not null then by_name.region_code
            else unique_bases.region_code end as region_code
from named
left join seed_regions by_code
       on named.code_like and by_code.region_code = replace(replace(pystrip(ltrim(named.t, '''')), '.', ''), ' ', '')
left join region_names by_name on by_name.region_type = named.rtype and by_name.base = named.base
left join unique_bases on unique_bases.base = named.base;

-- Training registration times: Google Forms' csv writes `2021/08/10 9:03:22 AM GMT+7` (12-hour
-- clock, the zone named); any other text (an xlsx date cell, ISO, dd/mm/yyyy) is a timestamp cell
-- in WIB. Keyed by the raw text; `utc` NULL when a non-empty text is no time.
create table forms_moments as
with fields as (
    select raw, t, local, offset_minutes,
           regexp_extract(t, '^(?i)([0-9]{4})/([0-9]{1,2})/([0-9]{1,2}) ([0-9]{1,2}):([0-9]{2}):([0-9]{2}) ([AP]M)'
                             || ' GMT([+-][0-9]{1,2})(?::?([0-9]{2}))?$',
                          ['y', 'mo', 'd', 'h', 'mi', 's', 'ap', 'zh', 'zm']) as f
    from moments semi join (select "timestamp" as raw from training_raw) using (raw)),
forms as (
    select *, coalesce(f.y <> '', false) as is_forms,
           case when f.y <> '' and f.h::int between 1 and 12
                then try_strptime(f.y || '-' || f.mo || '-' || f.d || ' '
                                  || (f.h::int % 12 + case when upper(f.ap) = 'PM' then 12 else 0 end) || ':' || f.mi
                                  || ':' || f.s, '%Y-%m-%d %H:%M:%S') end as forms_local,
           case when f.y <> '' then f.zh::int * 60 + case when f.zh::int >= 0 then 1 else -1 end
                                                    * coalesce(nullif(f.zm, '')::int, 0) end as forms_offset
    from fields)
select raw, t, case when is_forms then utc_of(forms_local, forms_offset, 0)
                    else utc_of(local, offset_minutes, 7 * 60) end as utc
from forms;

-- The `kendala` summary: every space-separated choice must be a known constraint.
create table constraint_lists as
with lists as (
    select raw, clean(raw) as t from (select distinct kendala as raw from survey_raw) where raw is not null),
choices as (select raw, unnest(string_split_regex(lower(t), '[' || ws() || ']+')) as choice from lists where t is not null)
select raw, bool_and(label_codes.code is not null or choice in ('', '-', '--', 'null', 'none', 'nan', 'n/a', 'na')) as known
from choices left join label_codes on label_codes.kind = 'constraint' and label_codes.label = choices.choice
group by raw;

-- ================================================================ typed rows, rejected rows left out
-- Each `typed` CTE is materialized: a filter on its columns would otherwise be pushed down as
-- a copy of their expressions, and every cell parsed twice. The joins to the lookups are kept
-- as written, the lookup the hash table: with the cardinality estimates of many chained left
-- joins, the optimizer turns them into right joins that hash the wide rows (3x the time).
set disabled_optimizers = 'join_order,build_side_probe_side';

create table survey_rows as
with typed as materialized (
    select s.file_rank, s.row_order, s.has_id, s.has_uuid,
           p.survey_period, t_name.t as business_name, t_sector.t as sector,
           nk.t as nik, nk.digits as nik_digits, nb.t as nib, nb.digits as nib_digits,
           coalesce(nk.umkm_key, nb.umkm_key) as umkm_key, r.region_code as region,
           case lower(t_impacted.t) when 'ya' then true when 'yes' then true when '1' then true
                when 'tidak' then false when 'no' then false when '0' then false end as is_impacted,
           moment_local(s._submission_time, s.k_submitted, m_submitted.local) as submitted_local,
           moment_offset(s._submission_time, s.k_submitted, m_submitted.offset_minutes) as submitted_offset,
           moment_text(s."start", s.k_started, m_started.t) as started,
           moment_local(s."start", s.k_started, m_started.local) as started_local,
           moment_offset(s."start", s.k_started, m_started.offset_minutes) as started_offset,
           moment_text(s."end", s.k_ended, m_ended.t) as ended,
           moment_local(s."end", s.k_ended, m_ended.local) as ended_local,
           moment_offset(s."end", s.k_ended, m_ended.offset_minutes) as ended_offset,
           t_scale.t as scale, t_primary.t as primary_constraint,
           coalesce(k.known, true) as constraints_known,
           m_before.t as turnover_before, m_before.amount as turnover_before_idr,
           m_after.t as turnover_after, m_after.amount as turnover_after_idr,
           w_before.t as workers_before, w_before.n as workers_before_n,
           w_after.t as workers_after, w_after.n as workers_after_n,
           fclean(s._id) as submission_id, fclean(s._uuid) as submission_uuid, t_validation.t as validation_status
    from survey_raw s
    left join periods p on p.raw = s.periode_survei
    left join survey_texts t_name on t_name.raw = s.nama_usaha
    left join survey_texts t_sector on t_sector.raw = s.sektor_usaha
    left join survey_texts t_impacted on t_impacted.raw = s.terdampak_covid
    left join survey_texts t_scale on t_scale.raw = s.skala_usaha
    left join survey_texts t_primary on t_primary.raw = s.kendala_utama
    left join survey_texts t_validation on t_validation.raw = s._validation_status
    left join niks nk on nk.raw = s.nik_pemilik
    left join nibs nb on nb.raw = s.nib
    left join region_pairs r on r.raw_code is not distinct from s.kode_kabkota and r.raw_name is not distinct from s.kabupaten_kota
    left join constraint_lists k on k.raw = s.kendala
    left join moments m_submitted on m_submitted.raw = s._submission_time
    left join moments m_started on m_started.raw = s."start"
    left join moments m_ended on m_ended.raw = s."end"
    left join money m_before on m_before.raw = s.omzet_sebelum
    left join money m_after on m_after.raw = s.omzet_sesudah
    left join counts w_before on w_before.raw = s.tenaga_kerja_sebelum
    left join counts w_after on w_after.raw = s.tenaga_kerja_sesudah),
labelled as (
    select typed.*, sector_labels.code as sector_code,
           case when lower(scale) in ('mikro', 'kecil', 'menengah') then lower(scale) end as scale_code,
           primary_labels.code as primary_constraint_code,
           utc_of(submitted_local, submitted_offset, 0) as submitted_at_utc,
           utc_of(started_local, started_offset, 7 * 60) as started_at,
           utc_of(ended_local, ended_offset, 7 * 60) as ended_at
    from typed
    left join label_codes sector_labels on sector_labels.kind = 'sector' and sector_labels.label = lower(typed.sector)
    left join label_codes primary_labels on primary_labels.kind = 'constraint'
                                         and primary_labels.label = lower(typed.primary_constraint))
select file_rank, row_order, survey_period, umkm_key, nib_digits as nib,
       business_name, region as region_code, sector_code, scale_code as scale, is_impacted, primary_constraint_code,
       turnover_before_idr, turnover_after_idr, workers_before_n as workers_before, workers_after_n as workers_after,
       nullif(trim(validation_status), '') as validation_status, submitted_at_utc,
       wib_date(submitted_at_utc) as submitted_date_wib
from labelled
where not (survey_period is null or bad(nik, nik_digits) or bad(nib, nib_digits) or (nik is null and nib is null)
           or region is null or sector_code is null or is_impacted is null or submitted_at_utc is null
           or business_name is null or bad(started, started_at) or bad(ended, ended_at) or bad(scale, scale_code)
           or bad(primary_constraint, primary_constraint_code) or not constraints_known
           or bad(turnover_before, turnover_before_idr) or bad(turnover_after, turnover_after_idr)
           or bad(workers_before, workers_before_n) or bad(workers_after, workers_after_n))
-- the same Kobo submission (_id, _uuid) twice in one file counts once: the file's first row
qualify not ((has_id or has_uuid) and (not has_id or submission_id is not null) and (not has_uuid or submission_uuid is not null))
     or row_number() over (partition by file_rank, case when has_id then submission_id end,
                                        case when has_uuid then submission_uuid end order by row_order) = 1;

create table enrollment_rows as
with typed as materialized (
    select e.file_rank, e.row_order, fclean(e.program_id) as program_id,
           fclean(e.platform_merchant_id) as platform_merchant_id,
           nk.t as nik, nk.digits as nik_digits, nb.t as nib, nb.digits as nib_digits,
           coalesce(nk.umkm_key, nb.umkm_key) as umkm_key, fclean(e.nama_usaha) as business_name,
           r.region_code, fclean(e.sektor_usaha) as sector,
           date_of(moment_local(e.tanggal_bergabung, e.k_joined, m.local)) as joined_date
    from enrollment_raw e
    left join region_pairs r on r.raw_code is not distinct from e.kode_kabkota and r.raw_name is not distinct from e.kabupaten_kota
    left join moments m on m.raw = e.tanggal_bergabung
    left join niks nk on nk.raw = e.nik_pemilik
    left join nibs nb on nb.raw = e.nib)
select t.file_rank, t.row_order, t.program_id, t.platform_merchant_id, t.umkm_key, t.nib_digits as nib, t.business_name,
       t.region_code, s.code as sector_code, t.joined_date
from typed t
left join label_codes s on s.kind = 'sector' and s.label = lower(t.sector)
where t.program_id in (select program_id from seed_programs)
  and not (bad(t.nik, t.nik_digits) or bad(t.nib, t.nib_digits) or (t.nik is null and t.nib is null))
  and t.region_code is not null and s.code is not null and t.platform_merchant_id is not null and t.joined_date is not null
  and t.business_name is not null;

-- Every cell of a GoBiz row, typed.
create view gofood_typed as
select g.file_rank, g.row_order, fclean(g.transaction_id) as transaction_id, t_merchant.t as merchant,
       t_feature.t as feature, t_status.t as status,
       moment_text(g.transaction_time, g.k_time, m_time.t) as tx_time,
       moment_local(g.transaction_time, g.k_time, m_time.local) as tx_local,
       moment_offset(g.transaction_time, g.k_time, m_time.offset_minutes) as tx_offset,
       m.t as amount_text, m.amount,
       moment_text(g.transaction_date, g.k_date, m_date.t) as tx_date,
       date_of(moment_us_local(g.transaction_date, g.k_date, m_date.us_local)) as tx_date_us,
       t_currency.t as currency,
       coalesce(g.nett_amount in (select raw from bad_money), false)
       or coalesce(g.gopay_promo in (select raw from bad_money), false)
       or coalesce(g.gofood_discount in (select raw from bad_money), false)
       or coalesce(g.voucher_commission in (select raw from bad_money), false)
       or coalesce(g.tax in (select raw from bad_money), false)
       or coalesce(g.witholding_tax in (select raw from bad_money), false) as bad_other_money
from gofood_raw g
left join gofood_texts t_merchant on t_merchant.raw = g.merchant_id
left join gofood_texts t_feature on t_feature.raw = g.feature
left join gofood_texts t_status on t_status.raw = g.transaction_status
left join gofood_texts t_currency on t_currency.raw = g.currency
left join money m on m.raw = g.amount
left join moments m_time on m_time.raw = g.transaction_time
left join moments m_date on m_date.raw = g.transaction_date;

create table gofood_rows as
with typed as materialized (
    select file_rank, row_order, transaction_id, merchant, feature, status, tx_local, tx_offset, amount, tx_date,
           tx_date_us, currency, bad_other_money
    from gofood_typed),
timed as (select *, utc_of(tx_local, tx_offset, 0) as ts_utc from typed)
select file_rank, row_order, transaction_id, merchant, feature, status, ts_utc, amount
from timed
where transaction_id is not null and amount is not null and status is not null and merchant is not null
  and ts_utc is not null and not bad(tx_date, tx_date_us)
  and coalesce(upper(currency), 'IDR') = 'IDR' and not bad_other_money;

create table shopee_rows as
with cells as materialized (
    select s.file_rank, s.row_order, s.shop_id, s.has_price, s.has_total_payment,
           fclean(s.no__pesanan) as order_id, t_status.t as status,
           moment_local(s.waktu_pesanan_dibuat, s.k_created, m_created.local) as created_local,
           moment_offset(s.waktu_pesanan_dibuat, s.k_created, m_created.offset_minutes) as created_offset,
           moment_text(s.waktu_pesanan_selesai, s.k_completed, m_completed.t) as completed,
           moment_local(s.waktu_pesanan_selesai, s.k_completed, m_completed.local) as completed_local,
           moment_offset(s.waktu_pesanan_selesai, s.k_completed, m_completed.offset_minutes) as completed_offset,
           q.n as qty, r.t as returned, r.n as returned_n, coalesce(r.n, 0) as returned_qty,
           coalesce(t_sku.t, '') as sku_ref, coalesce(t_variation.t, '') as variation_name,
           m_price.amount as price_amount, m_total.amount as line_total_amount,
           m_pay.t as total_payment, m_paid.t as paid_by_buyer,
           case when s.has_total_payment then m_pay.amount else m_paid.amount end as total_payment_amount
    from shopee_raw s
    left join shopee_texts t_status on t_status.raw = s.status_pesanan
    left join shopee_texts t_sku on t_sku.raw = s.nomor_referensi_sku
    left join shopee_texts t_variation on t_variation.raw = s.nama_variasi
    left join moments m_created on m_created.raw = s.waktu_pesanan_dibuat
    left join moments m_completed on m_completed.raw = s.waktu_pesanan_selesai
    left join counts q on q.raw = s.jumlah
    left join counts r on r.raw = s.returned_quantity
    left join money m_price on m_price.raw = s.harga_setelah_diskon
    left join money m_total on m_total.raw = s.total_harga_produk
    left join money m_pay on m_pay.raw = s.total_pembayaran
    left join money m_paid on m_paid.raw = s.dibayar_pembeli),
typed as (
    select *, utc_of(created_local, created_offset, 7 * 60) as created_utc,
           utc_of(completed_local, completed_offset, 7 * 60) as completed_utc
    from cells),
divided as (   -- the older layout may give only the line total: unit price = total / quantity,
               -- half-even to cents, in whole cents (decimal / integer is a double in DuckDB)
    select *, (line_total_amount * 100)::bigint // nullif(qty, 0) as q,
              (line_total_amount * 100)::bigint % nullif(qty, 0) as r
    from typed),
priced as (
    select *, case when has_price then price_amount
                   else ((q + case when 2 * r > qty or (2 * r = qty and q % 2 = 1) then 1 else 0 end)::decimal(18, 0)
                         * 0.01)::decimal(18, 2) end as unit_price
    from divided)
select file_rank, row_order, shop_id, order_id, trim(status) as status, created_utc, sku_ref, variation_name,
       unit_price, qty, returned_qty
from priced
where order_id is not null and status is not null and created_utc is not null and qty is not null
  and not bad(returned, returned_n) and returned_qty <= qty and not bad(completed, completed_utc)
  and (case when has_price then price_amount is not null else line_total_amount is not null end)
  and not (case when has_total_payment then bad(total_payment, total_payment_amount)
                else bad(paid_by_buyer, total_payment_amount) end);

create table uvo_rows as
with cells as materialized (   -- materialized: each macro below would otherwise be expanded inside the next
    select u.file_rank, u.row_order, fclean(u.id_transaksi) as transaction_id, fclean(u.id_peserta) as participant,
           moment_local(u.tanggal_transaksi, u.k_time, m_time.local) as tx_local,
           moment_offset(u.tanggal_transaksi, u.k_time, m_time.offset_minutes) as tx_offset,
           fclean(u.negara_pembeli) as country, fclean(u.mata_uang) as currency, fclean(u.status) as status,
           u.amount_is_number, case when u.amount_is_number then fclean(u.nilai) end as number_text,
           m.amount as text_amount, u.nested
    from uvo_raw u
    left join money m on m.raw = u.nilai and not u.amount_is_number
    left join moments m_time on m_time.raw = u.tanggal_transaksi),
timed as (
    select *, utc_of(tx_local, tx_offset, 7 * 60) as ts_utc,
           case when amount_is_number then number_money(number_text) else text_amount end as amount_value
    from cells),
typed as (
    select *, wib_date(ts_utc) as tx_date,
           case when regexp_full_match(country, '[A-Za-z]{2}') then upper(country) end as buyer_country,
           upper(currency) as currency_code,
           case when lower(status) in ('lunas', 'batal', 'menunggu') then lower(status) end as status_code
    from timed)
select file_rank, row_order, transaction_id, participant, ts_utc, tx_date, buyer_country,
       currency_code as currency, amount_value as amount, status_code as status
from typed
-- a currency or month without a rate is a row error, never a zero (data contract 2.5)
semi join seed_fx fx on fx.currency = typed.currency_code and fx.month = strftime(wib_date(typed.ts_utc), '%Y-%m')
where transaction_id is not null and participant is not null and ts_utc is not null and buyer_country is not null
  and amount_value is not null and status_code is not null and not nested;

reset disabled_optimizers;

-- The three small sources below are typed with the optimizer's join order: their few rows are the
-- hash tables, not the large lookups (money, moments) they are joined to.

-- Mbizmarket: one row per order. Subtotal is the turnover; Subtotal + PPN + Ongkos Kirim more than
-- Rp 1 away from Total Pesanan is a row error (an empty PPN or shipping counts as none).
create table mbizmarket_rows as
with cells as materialized (
    select b.file_rank, b.row_order, fclean(b.no__pesanan) as order_id, t_vendor.t as vendor,
           m_time.local as ordered_local, m_time.offset_minutes as ordered_offset,
           m_sub.amount as subtotal, m_vat.t as vat_text, m_vat.amount as vat,
           m_ship.t as shipping_text, m_ship.amount as shipping, m_total.t as total_text, m_total.amount as total,
           case lower(t_status.t)
                when 'menunggu konfirmasi' then 'Menunggu Konfirmasi' when 'diproses' then 'Diproses'
                when 'dikirim' then 'Dikirim' when 'diterima' then 'Diterima' when 'selesai' then 'Selesai'
                when 'dibatalkan' then 'Dibatalkan' when 'ditolak' then 'Ditolak' end as status
    from mbizmarket_raw b
    left join small_texts t_vendor on t_vendor.raw = b.id_vendor
    left join small_texts t_status on t_status.raw = b.status_pesanan
    left join moments m_time on m_time.raw = b.tanggal_pesanan
    left join money m_sub on m_sub.raw = b.subtotal
    left join money m_vat on m_vat.raw = b.ppn
    left join money m_ship on m_ship.raw = b.ongkos_kirim
    left join money m_total on m_total.raw = b.total_pesanan),
typed as (select *, utc_of(ordered_local, ordered_offset, 7 * 60) as ts_utc from cells)
select file_rank, row_order, order_id, vendor, ts_utc, subtotal, status
from typed
where order_id is not null and ts_utc is not null and vendor is not null and subtotal is not null and status is not null
  and not bad(vat_text, vat) and not bad(shipping_text, shipping) and not bad(total_text, total)
  and not (total is not null and abs(subtotal + coalesce(vat, 0) + coalesce(shipping, 0) - total) > 1)
-- an order repeated inside one file: the file's first (not otherwise rejected) row
qualify row_number() over (partition by file_rank, order_id order by row_order) = 1;

-- Training lists: a row per registration; NIK or NIB (jika ada), an activity of the seed.
create table training_rows as
with cells as materialized (
    select r.file_rank, r.row_order, t_activity.t as activity_id, f.utc as registered_utc,
           nk.t as nik, nk.digits as nik_digits, nb.t as nib, nb.digits as nib_digits,
           coalesce(nk.umkm_key, nb.umkm_key) as umkm_key, t_name.t as business_name,
           rc.t as region, rc.region_code, t_sector.t as sector, lower(t_attendance.t) as attendance
    from training_raw r
    left join small_texts t_activity on t_activity.raw = r.kode_kegiatan
    left join small_texts t_name on t_name.raw = r.nama_usaha
    left join small_texts t_sector on t_sector.raw = r.bidang_usaha
    left join small_texts t_attendance on t_attendance.raw = r.kehadiran
    left join forms_moments f on f.raw = r."timestamp"
    left join niks nk on nk.raw = r.nik
    left join nibs nb on nb.raw = r.nib__jika_ada_
    left join region_cells rc on rc.raw = r.kabupaten_kota)
select c.file_rank, c.row_order, c.activity_id, c.umkm_key, c.nib_digits as nib, c.business_name, c.region_code,
       s.code as sector_code, c.registered_utc, wib_date(c.registered_utc) as registered_date_wib,
       coalesce(c.attendance = 'hadir', false) as attended
from cells c
left join label_codes s on s.kind = 'sector' and s.label = lower(c.sector)
where c.activity_id in (select activity_id from seed_activities) and c.registered_utc is not null
  and not (bad(c.nik, c.nik_digits) or bad(c.nib, c.nib_digits) or (c.nik is null and c.nib is null))
  and c.business_name is not null and not bad(c.region, c.region_code) and not bad(c.sector, s.code)
  and coalesce(c.attendance in ('hadir', 'tidak hadir'), true);

-- The Lapak Ganjar log: a row per UMKM shown on a day (2020-2030); NIK Pemilik or NIB.
create table lapak_ganjar_rows as
with cells as materialized (
    select l.file_rank, l.row_order, date_of(m.local) as shown_date,
           nk.t as nik, nk.digits as nik_digits, nb.t as nib, nb.digits as nib_digits,
           coalesce(nk.umkm_key, nb.umkm_key) as umkm_key, t_name.t as business_name,
           rc.t as region, rc.region_code, t_sector.t as sector
    from lapak_ganjar_raw l
    left join small_texts t_name on t_name.raw = l.nama_usaha
    left join small_texts t_sector on t_sector.raw = l.bidang_usaha
    left join moments m on m.raw = l.tanggal_tayang
    left join niks nk on nk.raw = l.nik_pemilik
    left join nibs nb on nb.raw = l.nib
    left join region_cells rc on rc.raw = l.kabupaten_kota)
select c.file_rank, c.row_order, c.shown_date, c.umkm_key, c.nib_digits as nib, c.business_name, c.region_code,
       s.code as sector_code
from cells c
left join label_codes s on s.kind = 'sector' and s.label = lower(c.sector)
where c.shown_date between date '2020-01-01' and date '2030-12-31'
  and not (bad(c.nik, c.nik_digits) or bad(c.nib, c.nib_digits) or (c.nik is null and c.nib is null))
  and c.business_name is not null and not bad(c.region, c.region_code) and not bad(c.sector, s.code);

-- The raw cells are no longer needed (reference_duckdb.py drops them here unless asked to keep them).
{{drop_raw}}

-- ================================================================ intermediate (the dbt models)
-- The latest landed version wins: file_rank desc. Within one file the FIRST row with a key wins:
-- the pipeline rejects a key repeated inside one file, so the file's first row is the one loaded.

create table enrollments as
select e.*, p.platform, p.feature
from enrollment_rows e left join seed_programs p using (program_id)
qualify row_number() over (partition by program_id, platform_merchant_id order by file_rank desc, row_order) = 1;

-- Dedup, written for speed: almost every key occurs once, so only the rows of keys that occur
-- more than once go through the window (a hash aggregate finds them; sorting every row costs more).
create table orders as
with gofood_repeated as (select transaction_id from gofood_rows group by all having count(*) > 1),
gofood_latest as (
    select * from gofood_rows anti join gofood_repeated using (transaction_id)
    union all
    (select * from gofood_rows semi join gofood_repeated using (transaction_id)
     qualify row_number() over (partition by transaction_id order by file_rank desc, row_order) = 1)),
gofood as (
    select 'gofood' as platform, transaction_id as order_id, merchant as platform_merchant_id, feature,
           wib_date(ts_utc) as order_date, ts_utc as order_ts_utc, status as status_raw,
           lower(trim(status)) in ('settlement', 'completed') as is_counted, 'ID' as buyer_country, 'IDR' as currency,
           amount as amount_original, amount as amount_idr
    from gofood_latest),
shopee_repeated as (
    select shop_id, order_id, sku_ref, variation_name from shopee_rows group by all having count(*) > 1),
shopee_latest as (
    select * from shopee_rows anti join shopee_repeated using (shop_id, order_id, sku_ref, variation_name)
    union all
    (select * from shopee_rows semi join shopee_repeated using (shop_id, order_id, sku_ref, variation_name)
     qualify row_number() over (partition by shop_id, order_id, sku_ref, variation_name order by file_rank desc, row_order) = 1)),
shopee_lines as (
    select *, cast(unit_price * (qty - returned_qty) as decimal(18, 2)) as line_turnover
    from shopee_latest),
shopee as (     -- one row per order: lines summed; status and dates from the latest landed line
    select 'shopee' as platform, order_id, shop_id as platform_merchant_id, null::varchar as feature,
           wib_date(arg_max(created_utc, (file_rank, row_order))) as order_date,
           arg_max(created_utc, (file_rank, row_order)) as order_ts_utc,
           arg_max(status, (file_rank, row_order)) as status_raw,
           arg_max(status, (file_rank, row_order)) = 'Selesai' as is_counted, 'ID' as buyer_country, 'IDR' as currency,
           sum(line_turnover)::decimal(18, 2) as amount_original, sum(line_turnover)::decimal(18, 2) as amount_idr
    from shopee_lines group by shop_id, order_id),
uvo as (
    select 'uvo' as platform, transaction_id as order_id, participant as platform_merchant_id, null::varchar as feature,
           tx_date as order_date, ts_utc as order_ts_utc, status as status_raw, status = 'lunas' as is_counted,
           buyer_country, u.currency, amount as amount_original,
           cast(amount * fx.idr_per_unit as decimal(18, 2)) as amount_idr
    from uvo_rows u
    left join seed_fx fx on fx.month = strftime(u.tx_date, '%Y-%m') and upper(trim(fx.currency)) = u.currency
    qualify row_number() over (partition by transaction_id order by file_rank desc, row_order) = 1),
mbizmarket as (   -- the turnover is Subtotal, never Total Pesanan
    select 'mbizmarket' as platform, order_id, vendor as platform_merchant_id, null::varchar as feature,
           wib_date(ts_utc) as order_date, ts_utc as order_ts_utc, status as status_raw, status = 'Selesai' as is_counted,
           'ID' as buyer_country, 'IDR' as currency, subtotal as amount_original, subtotal as amount_idr
    from mbizmarket_rows
    qualify row_number() over (partition by order_id order by file_rank desc, row_order) = 1),
merchants as (  -- the UMKM of a merchant id: its latest landed enrollment on that platform
    select platform, platform_merchant_id, umkm_key from enrollments where platform is not null
    qualify row_number() over (partition by platform, platform_merchant_id order by file_rank desc, row_order desc) = 1)
select o.*, m.umkm_key
from (select * from gofood union all select * from shopee union all select * from uvo
      union all select * from mbizmarket) o
left join merchants m using (platform, platform_merchant_id);

create table survey as
with approved as (
    select * from survey_rows where coalesce(validation_status, '') <> 'validation_status_not_approved'),
repeated as (select survey_period, umkm_key from approved group by all having count(*) > 1)
select *, submitted_date_wib as first_submitted_date_wib
from approved anti join repeated using (survey_period, umkm_key)
union all
(select *, min(submitted_date_wib) over (partition by survey_period, umkm_key) as first_submitted_date_wib
 from approved semi join repeated using (survey_period, umkm_key)
 qualify row_number() over (partition by survey_period, umkm_key
                            order by submitted_at_utc desc nulls last, file_rank desc, row_order desc) = 1);

-- Training lists: one row per (activity, UMKM), its latest landed row (within a file the last: a
-- registration repeated in one file is no error); attended when any of its rows says Hadir.
create table training as
select *, min(registered_date_wib) over (partition by activity_id, umkm_key) as first_registered_date_wib,
       bool_or(attended) over (partition by activity_id, umkm_key) as attended_any
from training_rows
qualify row_number() over (partition by activity_id, umkm_key order by file_rank desc, row_order desc) = 1;

-- The Lapak Ganjar log: one promotion per (day, UMKM), its latest landed row.
create table promotions as
select * from lapak_ganjar_rows
qualify row_number() over (partition by shown_date, umkm_key order by file_rank desc, row_order desc) = 1;

-- Program turnover (data contract 3): counted orders of enrolled merchants on the program's
-- platform (and GoBiz feature), inside the program window, on or after the joining date.
create table program_orders as
select p.program_id, e.umkm_key, o.order_date, date_trunc('month', o.order_date)::date as order_month,
       o.buyer_country, coalesce(o.buyer_country <> 'ID', false) as is_foreign_buyer, o.amount_idr
from enrollments e
join seed_programs p on p.program_id = e.program_id
join orders o on o.platform = p.platform and o.platform_merchant_id = e.platform_merchant_id
where o.is_counted
  and (p.feature is null or lower(o.feature) = lower(p.feature))
  and o.order_date between p.start_date and p.end_date
  and o.order_date >= e.joined_date;

-- ================================================================ marts

-- Every UMKM of the registry, the survey, a training list or the Lapak Ganjar log. Business name,
-- region and sector each from the first source that has one, in this order (registry, survey,
-- training, Lapak Ganjar), within a source the latest landed record; nib the latest landed one of
-- any source; scale from the survey only; first_seen_date the earliest record date of any source.
create table dim_umkm as
with records as (
    select 1 as precedence, umkm_key, nib, business_name, region_code, sector_code, joined_date::timestamp as record_ts,
           joined_date as record_date, file_rank, row_order
    from enrollments
    union all
    select 2, umkm_key, nib, business_name, region_code, sector_code, submitted_at_utc, first_submitted_date_wib,
           file_rank, row_order
    from survey
    union all
    select 3, umkm_key, nib, business_name, region_code, sector_code, registered_utc, first_registered_date_wib,
           file_rank, row_order
    from training
    union all
    select 4, umkm_key, nib, business_name, region_code, sector_code, shown_date::timestamp, shown_date, file_rank, row_order
    from promotions),
attributes as (
    select umkm_key, min(record_date) as first_seen_date,
           first(business_name order by precedence, file_rank desc, record_ts desc nulls last, row_order desc)
               filter (where business_name is not null) as business_name,
           first(region_code order by precedence, file_rank desc, record_ts desc nulls last, row_order desc)
               filter (where region_code is not null) as region_code,
           first(sector_code order by precedence, file_rank desc, record_ts desc nulls last, row_order desc)
               filter (where sector_code is not null) as sector_code,
           first(nib order by file_rank desc, record_ts desc nulls last, row_order desc)
               filter (where nib is not null) as nib
    from records group by umkm_key),
scales as (
    select umkm_key, scale from survey where scale is not null
    qualify row_number() over (partition by umkm_key
                               order by survey_period desc, submitted_at_utc desc nulls last, file_rank desc, row_order desc) = 1)
select a.umkm_key, a.business_name, a.nib, a.region_code, a.sector_code, scales.scale, a.first_seen_date
from attributes a left join scales using (umkm_key);

create view fct_orders as select * from orders;

create table mart_impact_summary as
select survey_period, region_code, sector_code, scale,
       count(*) as n_respondents,
       count(*) filter (where is_impacted) as n_impacted,
       count(*) filter (where is_impacted and primary_constraint_code = 'marketing') as n_constraint_marketing,
       count(*) filter (where is_impacted and primary_constraint_code = 'capital') as n_constraint_capital,
       count(*) filter (where is_impacted and primary_constraint_code = 'raw_materials') as n_constraint_raw_materials,
       count(*) filter (where is_impacted and primary_constraint_code = 'distribution') as n_constraint_distribution,
       count(*) filter (where is_impacted and primary_constraint_code = 'production') as n_constraint_production,
       count(*) filter (where is_impacted and primary_constraint_code = 'labour') as n_constraint_labour,
       count(*) filter (where is_impacted and primary_constraint_code = 'other') as n_constraint_other,
       coalesce(sum(turnover_before_idr) filter (where is_impacted), 0)::decimal(18, 2) as turnover_before_idr,
       coalesce(sum(turnover_after_idr) filter (where is_impacted), 0)::decimal(18, 2) as turnover_after_idr,
       coalesce(sum(workers_before) filter (where is_impacted), 0)::bigint as workers_before,
       coalesce(sum(workers_after) filter (where is_impacted), 0)::bigint as workers_after
from survey
group by survey_period, region_code, sector_code, scale;

create table mart_turnover_monthly as
select o.order_month as month, o.program_id, u.region_code, u.sector_code,
       count(distinct o.umkm_key) as n_active_umkm, count(*) as n_orders,
       sum(o.amount_idr)::decimal(18, 2) as turnover_idr,
       sum(case when o.is_foreign_buyer then o.amount_idr else 0 end)::decimal(18, 2) as turnover_foreign_idr
from program_orders o left join dim_umkm u using (umkm_key)
group by o.order_month, o.program_id, u.region_code, u.sector_code;

create table mart_program_summary as
with enrolled as (select program_id, count(distinct umkm_key) as n from enrollments group by program_id),
summed as (
    select program_id, count(distinct umkm_key) as n_active_umkm, count(*) as n_orders, sum(amount_idr) as turnover_idr,
           sum(case when is_foreign_buyer then amount_idr else 0 end) as turnover_foreign_idr,
           count(distinct case when is_foreign_buyer then buyer_country end) as n_buyer_countries,
           min(order_date) as first_order_date, max(order_date) as last_order_date
    from program_orders group by program_id)
select p.program_id, p.program_name, p.platform, coalesce(enrolled.n, 0)::bigint as n_enrolled_umkm,
       coalesce(s.n_active_umkm, 0)::bigint as n_active_umkm, coalesce(s.n_orders, 0)::bigint as n_orders,
       coalesce(s.turnover_idr, 0)::decimal(18, 2) as turnover_idr,
       coalesce(s.turnover_foreign_idr, 0)::decimal(18, 2) as turnover_foreign_idr,
       coalesce(s.n_buyer_countries, 0)::bigint as n_buyer_countries, s.first_order_date, s.last_order_date
from seed_programs p left join enrolled using (program_id) left join summed s using (program_id);
