-- Reference 2 of the benchmark: the marts of `umkm run`, computed by one DuckDB SQL script.
--
-- Run by reference_duckdb.py, which registers the landing files as views src_<source> (every
-- data-contract column as text; file_rank = position in the landing order; row_order = position
-- in the file), the table `files` and the table json_uvo_files; {{seeds}} and {{salt}} are filled in.
-- The rules are the pipeline's (ingest/values.py, ingest/sources/*.py, dbt_project/models): a row
-- with a cell that breaks a rule is rejected; the latest landed version of an entity wins
-- (file_rank desc: mtime, then path); the marts are built as the dbt models build them.
-- Written for speed: every file is read once and cleaned once; money and dates are parsed once
-- per distinct text (as the pipeline's factorize does); all threads.

-- ================================================================ reference data (dbt seeds)

create table seed_regions as select * from read_csv('{{seeds}}/regions_jateng.csv', all_varchar = true);
create table seed_programs as
select program_id, program_name, lower(trim(platform)) as platform, nullif(trim(feature), '') as feature,
       start_date::date as start_date, end_date::date as end_date
from read_csv('{{seeds}}/programs.csv', all_varchar = true);
create table seed_fx as
select month, currency, idr_per_unit::decimal(18, 6) as idr_per_unit
from read_csv('{{seeds}}/fx_rates_monthly.csv', all_varchar = true);

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

-- ================================================================ the landing rows, read once

create table survey_cells as
select s.file_rank, s.row_order, list_contains(f.present, '_id') as has_id, list_contains(f.present, '_uuid') as has_uuid,
       clean(periode_survei) as period, clean(nama_usaha) as business_name, clean(sektor_usaha) as sector,
       clean(terdampak_covid) as impacted, clean(_submission_time) as submitted, clean("start") as started,
       clean("end") as ended, clean(nik_pemilik) as nik, clean(nib) as nib, clean(kode_kabkota) as region_code,
       clean(kabupaten_kota) as region_name, clean(skala_usaha) as scale, clean(kendala_utama) as primary_constraint,
       clean(kendala) as constraints, clean(omzet_sebelum) as turnover_before, clean(omzet_sesudah) as turnover_after,
       clean(tenaga_kerja_sebelum) as workers_before, clean(tenaga_kerja_sesudah) as workers_after,
       clean(_id) as submission_id, clean(_uuid) as submission_uuid, clean(_validation_status) as validation_status
from src_survey s join files f using (file_rank);

create table enrollment_cells as
select file_rank, row_order, clean(program_id) as program_id, clean(nama_usaha) as business_name,
       clean(sektor_usaha) as sector, clean(platform_merchant_id) as merchant, clean(tanggal_bergabung) as joined,
       clean(nik_pemilik) as nik, clean(nib) as nib, clean(kode_kabkota) as region_code,
       clean(kabupaten_kota) as region_name
from src_enrollment;

create table gofood_cells as
select file_rank, row_order, clean(transaction_id) as transaction_id, clean(transaction_time) as tx_time,
       clean(amount) as amount, clean(transaction_status) as status, clean(feature) as feature,
       clean(merchant_id) as merchant, clean(transaction_date) as tx_date, clean(currency) as currency,
       clean(nett_amount) as nett_amount, clean(gopay_promo) as gopay_promo, clean(gofood_discount) as gofood_discount,
       clean(voucher_commission) as voucher_commission, clean(tax) as tax, clean(witholding_tax) as withholding_tax
from src_gofood;

create table shopee_cells as
select s.file_rank, s.row_order, f.shop_id, list_contains(f.present, 'Harga Setelah Diskon') as has_price,
       list_contains(f.present, 'Total Pembayaran') as has_total_payment,
       clean(no__pesanan) as order_id, clean(status_pesanan) as status, clean(waktu_pesanan_dibuat) as created,
       clean(jumlah) as quantity, clean(waktu_pesanan_selesai) as completed,
       coalesce(clean(nomor_referensi_sku), '') as sku_ref, coalesce(clean(nama_variasi), '') as variation_name,
       clean(harga_setelah_diskon) as price, clean(total_harga_produk) as line_total,
       clean(returned_quantity) as returned, clean(total_pembayaran) as total_payment,
       clean(dibayar_pembeli) as paid_by_buyer
from src_shopee s join files f using (file_rank);

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
                                                         'negara_pembeli', 'mata_uang', 'nilai', 'status']))
select file_rank, row_order,
       rec ->> 'id_transaksi' as id_transaksi, rec ->> 'id_peserta' as id_peserta,
       rec ->> 'tanggal_transaksi' as tanggal_transaksi, rec ->> 'negara_pembeli' as negara_pembeli,
       rec ->> 'mata_uang' as mata_uang, rec ->> 'nilai' as nilai, rec ->> 'status' as status,
       json_type(rec, '$.nilai') in ('BIGINT', 'UBIGINT', 'DOUBLE') as nilai_is_number,
       -- a nested object or array is not a cell value: the row is rejected
       list_has_any(list_transform(['id_transaksi', 'id_peserta', 'tanggal_transaksi', 'negara_pembeli', 'mata_uang',
                                    'nilai', 'status', 'nama_peserta'], lambda k: json_type(rec, '$.' || k)),
                    ['OBJECT', 'ARRAY']) as nested
from records semi join usable using (file_rank);

create table uvo_cells as
select file_rank, row_order, clean(id_transaksi) as transaction_id, clean(id_peserta) as participant,
       clean(tanggal_transaksi) as tx_time, clean(negara_pembeli) as country, clean(mata_uang) as currency,
       clean(nilai) as amount, clean(status) as status, false as amount_is_number, false as nested
from src_uvo
union all
select file_rank, row_order, clean(id_transaksi), clean(id_peserta), clean(tanggal_transaksi), clean(negara_pembeli),
       clean(mata_uang), clean(nilai), clean(status), nilai_is_number, nested
from uvo_json_records;

-- ================================================================ money, once per distinct text
-- values.py parse_money: 'Rp 15.000.000', '2.273,67', '1,250,000', '15 juta', '(5.000)', '5.000,-'.
-- One separator followed by exactly three digits is a thousands separator (169.000), unless a
-- unit follows (2,5 juta). Negative or non-numeric amounts are NULL (the row is rejected).

create table money as
with texts as (
    select distinct t from (
        select unnest([turnover_before, turnover_after]) as t from survey_cells
        union all select unnest([amount, nett_amount, gopay_promo, gofood_discount, voucher_commission, tax,
                                 withholding_tax]) from gofood_cells
        union all select unnest([price, line_total, total_payment, paid_by_buyer]) from shopee_cells
        union all select amount from uvo_cells where not amount_is_number)
    where t is not null),
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
    from scaled)
select texts.t, case when a < 10000000000000000::decimal(38, 2) and (a = 0 or not negative) then a::decimal(18, 2) end as amount
from texts left join amounts using (t);

-- ================================================================ dates and times, once per distinct text
-- values.py _to_datetime: an Excel serial as text, ISO with an offset (2021-09-05T14:03:04.000+07:00,
-- ...Z), or a zone-less format (fractional seconds dropped). `local` is the wall-clock time,
-- `offset_minutes` the zone when the text names one; `us_local` reads mm/dd/yyyy (GoBiz dates).

create table moments as
with texts as (
    select distinct t from (
        select unnest([submitted, started, ended]) as t from survey_cells
        union all select joined from enrollment_cells
        union all select unnest([tx_time, tx_date]) from gofood_cells
        union all select unnest([created, completed]) from shopee_cells
        union all select tx_time from uvo_cells)
    where t is not null),
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
    from kinds)
select t, offset_minutes,
       case when is_serial or is_iso then fixed_local
            else try_strptime(plain, ['%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%dT%H:%M',
                                      '%Y-%m-%d', '%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d/%m/%Y', '%d-%m-%Y']) end as local,
       case when is_serial or is_iso then fixed_local
            else try_strptime(plain, ['%m/%d/%Y', '%m/%d/%Y %H:%M:%S', '%m/%d/%Y %H:%M']) end as us_local
from fixed;

-- ================================================================ regions, once per distinct pair
-- kode_kabkota (3374 or 33.74) wins; else the official name; a bare 'Semarang' is ambiguous.

create table region_pairs as
with pairs as (
    select region_code as code, region_name as name from survey_cells
    union select region_code, region_name from enrollment_cells),
named as (select code, name, region_type(squeezed(name)) as rtype, region_base(squeezed(name)) as base from pairs),
unique_bases as (select base, any_value(region_code) as region_code from region_names group by base having count(*) = 1)
select named.code, named.name,
       case when named.code is not null then by_code.region_code
            when named.rtype is not null then by_name.region_code
            else unique_bases.region_code end as region_code
from named
left join seed_regions by_code on by_code.region_code = replace(replace(named.code, '.', ''), ' ', '')
left join region_names by_name on by_name.region_type = named.rtype and by_name.base = named.base
left join unique_bases on unique_bases.base = named.base;

-- The `kendala` summary: every space-separated choice must be a known constraint.
create table constraint_lists as
with lists as (select distinct constraints as t from survey_cells where constraints is not null),
choices as (select t, unnest(string_split_regex(lower(t), '[' || ws() || ']+')) as choice from lists)
select t, bool_and(label_codes.code is not null or choice in ('', '-', '--', 'null', 'none', 'nan', 'n/a', 'na')) as known
from choices left join label_codes on label_codes.kind = 'constraint' and label_codes.label = choices.choice
group by t;

-- Money texts that are not amounts: rows holding one in any money column are rejected.
create table bad_money as select t from money where amount is null;

-- ================================================================ typed rows, rejected rows left out

create table survey_rows as
with typed as (
    select c.*,
           case when regexp_full_match(period, '[0-9]{4}-[0-9]{1,2}(-[0-9]{1,2})?')
                     and split_part(period, '-', 2)::int between 1 and 12
                then split_part(period, '-', 1) || '-' || lpad(split_part(period, '-', 2)::int::varchar, 2, '0')
           end as survey_period,
           nik_of(nik) as nik_digits, nib_of(nib) as nib_digits, r.region_code as region, sector_labels.code as sector_code,
           case lower(impacted) when 'ya' then true when 'yes' then true when '1' then true
                                when 'tidak' then false when 'no' then false when '0' then false end as is_impacted,
           utc_of(m_submitted.local, m_submitted.offset_minutes, 0) as submitted_at_utc,
           utc_of(m_started.local, m_started.offset_minutes, 7 * 60) as started_at,
           utc_of(m_ended.local, m_ended.offset_minutes, 7 * 60) as ended_at,
           case when lower(scale) in ('mikro', 'kecil', 'menengah') then lower(scale) end as scale_code,
           primary_labels.code as primary_constraint_code, coalesce(k.known, true) as constraints_known,
           m_before.amount as turnover_before_idr, m_after.amount as turnover_after_idr,
           count_of(workers_before) as workers_before_n, count_of(workers_after) as workers_after_n
    from survey_cells c
    left join region_pairs r on r.code is not distinct from c.region_code and r.name is not distinct from c.region_name
    left join label_codes sector_labels on sector_labels.kind = 'sector' and sector_labels.label = lower(c.sector)
    left join label_codes primary_labels on primary_labels.kind = 'constraint'
                                         and primary_labels.label = lower(c.primary_constraint)
    left join constraint_lists k on k.t = c.constraints
    left join moments m_submitted on m_submitted.t = c.submitted
    left join moments m_started on m_started.t = c.started
    left join moments m_ended on m_ended.t = c.ended
    left join money m_before on m_before.t = c.turnover_before
    left join money m_after on m_after.t = c.turnover_after)
select file_rank, row_order, survey_period, umkm_key(nik_digits, nib_digits) as umkm_key, nib_digits as nib,
       business_name, region as region_code, sector_code, scale_code as scale, is_impacted, primary_constraint_code,
       turnover_before_idr, turnover_after_idr, workers_before_n as workers_before, workers_after_n as workers_after,
       nullif(trim(validation_status), '') as validation_status, submitted_at_utc,
       wib_date(submitted_at_utc) as submitted_date_wib
from typed
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
select c.file_rank, c.row_order, c.program_id, c.merchant as platform_merchant_id,
       umkm_key(nik_of(c.nik), nib_of(c.nib)) as umkm_key, nib_of(c.nib) as nib, c.business_name,
       r.region_code, s.code as sector_code, date_of(m.local) as joined_date
from enrollment_cells c
left join region_pairs r on r.code is not distinct from c.region_code and r.name is not distinct from c.region_name
left join label_codes s on s.kind = 'sector' and s.label = lower(c.sector)
left join moments m on m.t = c.joined
where c.program_id in (select program_id from seed_programs)
  and not (bad(c.nik, nik_of(c.nik)) or bad(c.nib, nib_of(c.nib)) or (c.nik is null and c.nib is null))
  and r.region_code is not null and s.code is not null and c.merchant is not null and date_of(m.local) is not null
  and c.business_name is not null;

create table gofood_rows as
select c.file_rank, c.row_order, c.transaction_id, c.merchant, c.feature, c.status,
       utc_of(m_time.local, m_time.offset_minutes, 0) as ts_utc, m.amount
from gofood_cells c
left join money m on m.t = c.amount
left join moments m_time on m_time.t = c.tx_time
left join moments m_date on m_date.t = c.tx_date
where c.transaction_id is not null and m.amount is not null and c.status is not null and c.merchant is not null
  and utc_of(m_time.local, m_time.offset_minutes, 0) is not null
  and not bad(c.tx_date, date_of(m_date.us_local))
  and coalesce(upper(c.currency), 'IDR') = 'IDR'
  and not coalesce(c.nett_amount in (select t from bad_money), false)
  and not coalesce(c.gopay_promo in (select t from bad_money), false)
  and not coalesce(c.gofood_discount in (select t from bad_money), false)
  and not coalesce(c.voucher_commission in (select t from bad_money), false)
  and not coalesce(c.tax in (select t from bad_money), false)
  and not coalesce(c.withholding_tax in (select t from bad_money), false);

create table shopee_rows as
with typed as (
    select c.*, utc_of(m_created.local, m_created.offset_minutes, 7 * 60) as created_utc,
           utc_of(m_completed.local, m_completed.offset_minutes, 7 * 60) as completed_utc,
           count_of(quantity) as qty, coalesce(count_of(returned), 0) as returned_qty,
           m_price.amount as price_amount, m_total.amount as line_total_amount,
           case when has_total_payment then m_pay.amount else m_paid.amount end as total_payment_amount
    from shopee_cells c
    left join moments m_created on m_created.t = c.created
    left join moments m_completed on m_completed.t = c.completed
    left join money m_price on m_price.t = c.price
    left join money m_total on m_total.t = c.line_total
    left join money m_pay on m_pay.t = c.total_payment
    left join money m_paid on m_paid.t = c.paid_by_buyer),
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
  and not bad(returned, count_of(returned)) and returned_qty <= qty and not bad(completed, completed_utc)
  and (case when has_price then price_amount is not null else line_total_amount is not null end)
  and not (case when has_total_payment then bad(total_payment, total_payment_amount)
                else bad(paid_by_buyer, total_payment_amount) end);

create table uvo_rows as
with typed as (
    select c.*, utc_of(m_time.local, m_time.offset_minutes, 7 * 60) as ts_utc,
           case when regexp_full_match(country, '[A-Za-z]{2}') then upper(country) end as buyer_country,
           upper(currency) as currency_code,
           case when c.amount_is_number then number_money(c.amount) else m.amount end as amount_value,
           case when lower(status) in ('lunas', 'batal', 'menunggu') then lower(status) end as status_code
    from uvo_cells c
    left join money m on m.t = c.amount
    left join moments m_time on m_time.t = c.tx_time)
select file_rank, row_order, transaction_id, participant, ts_utc, wib_date(ts_utc) as tx_date, buyer_country,
       currency_code as currency, amount_value as amount, status_code as status
from typed
-- a currency or month without a rate is a row error, never a zero (data contract 2.5)
semi join seed_fx fx on fx.currency = typed.currency_code and fx.month = strftime(wib_date(typed.ts_utc), '%Y-%m')
where transaction_id is not null and participant is not null and ts_utc is not null and buyer_country is not null
  and amount_value is not null and status_code is not null and not nested;

-- ================================================================ intermediate (the dbt models)
-- The latest landed version wins: file_rank desc. Within one file the FIRST row with a key wins:
-- the pipeline rejects a key repeated inside one file, so the file's first row is the one loaded.

create table enrollments as
select e.*, p.platform, p.feature
from enrollment_rows e left join seed_programs p using (program_id)
qualify row_number() over (partition by program_id, platform_merchant_id order by file_rank desc, row_order) = 1;

create table orders as
with gofood as (
    select 'gofood' as platform, transaction_id as order_id, merchant as platform_merchant_id, feature,
           wib_date(ts_utc) as order_date, ts_utc as order_ts_utc, status as status_raw,
           lower(trim(status)) in ('settlement', 'completed') as is_counted, 'ID' as buyer_country, 'IDR' as currency,
           amount as amount_original, amount as amount_idr
    from gofood_rows
    qualify row_number() over (partition by transaction_id order by file_rank desc, row_order) = 1),
shopee_lines as (
    select *, cast(unit_price * (qty - returned_qty) as decimal(18, 2)) as line_turnover
    from shopee_rows
    qualify row_number() over (partition by shop_id, order_id, sku_ref, variation_name order by file_rank desc, row_order) = 1),
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
merchants as (  -- the UMKM of a merchant id: its latest landed enrollment on that platform
    select platform, platform_merchant_id, umkm_key from enrollments where platform is not null
    qualify row_number() over (partition by platform, platform_merchant_id order by file_rank desc, row_order desc) = 1)
select o.*, m.umkm_key
from (select * from gofood union all select * from shopee union all select * from uvo) o
left join merchants m using (platform, platform_merchant_id);

create table survey as
select *, min(submitted_date_wib) over (partition by survey_period, umkm_key) as first_submitted_date_wib
from survey_rows
where coalesce(validation_status, '') <> 'validation_status_not_approved'
qualify row_number() over (partition by survey_period, umkm_key
                           order by submitted_at_utc desc nulls last, file_rank desc, row_order desc) = 1;

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

create table dim_umkm as
with records as (
    select umkm_key, nib, business_name, region_code, sector_code, submitted_at_utc as record_ts,
           first_submitted_date_wib as record_date, file_rank, row_order from survey
    union all
    select umkm_key, nib, business_name, region_code, sector_code, joined_date::timestamp, joined_date, file_rank, row_order
    from enrollments),
latest as (
    select *, min(record_date) over (partition by umkm_key) as first_seen_date from records
    qualify row_number() over (partition by umkm_key order by file_rank desc, record_ts desc nulls last, row_order desc) = 1),
nibs as (
    select umkm_key, nib from records where nib is not null
    qualify row_number() over (partition by umkm_key order by file_rank desc, record_ts desc nulls last, row_order desc) = 1),
scales as (
    select umkm_key, scale from survey where scale is not null
    qualify row_number() over (partition by umkm_key
                               order by survey_period desc, submitted_at_utc desc nulls last, file_rank desc, row_order desc) = 1)
select latest.umkm_key, latest.business_name, nibs.nib, latest.region_code, latest.sector_code, scales.scale,
       latest.first_seen_date
from latest left join nibs using (umkm_key) left join scales using (umkm_key);

create table fct_orders as select * from orders;

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
