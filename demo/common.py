"""What every source of the demo shares: the size constants, the UMKM population (names, regions,
sectors, NIKs, turnover), the program registry behind every partner feed, and the seeded
generators: `_World.rng(stream)` gives each part of the demo a generator of its own."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from demo.cells import _cat, _day, _digits, _distinct_ints, _join_chars, _pick, _round_nice, _select, _str, _where


SEEDS_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"
SOURCES = ("survey", "enrollment", "gofood", "shopee", "uvo", "mbizmarket", "training", "lapak_ganjar")
PROVINCE_SCALE = 20              # from here on files are cut as the province receives them (see `demo`)
# per scale unit (survey submissions: 1,750 + 1,200 respondents, ~3% of whom answer twice;
# enrollments: 400 in the four partner programs and 30 Mbizmarket vendors)
UMKM_PER_SCALE, SURVEY_RESPONDENTS_PER_SCALE, MBIZ_VENDORS_PER_SCALE = 2_600, 2_950, 30
ENROLLMENTS_PER_SCALE = 400 + MBIZ_VENDORS_PER_SCALE
GOBIZ_PER_SCALE, SHOPEE_PER_SCALE, UVO_PER_SCALE, MBIZ_PER_SCALE = 20_000, 3_000, 600, 200
ORDERS_PER_SCALE = GOBIZ_PER_SCALE + SHOPEE_PER_SCALE + UVO_PER_SCALE + MBIZ_PER_SCALE
LAPAK_PER_DAY = 1.3               # Lapak Ganjar promotions a day in 2021, per scale unit
BENCHMARK_SCALES = {"2.5M orders": 106, "5M orders": 212, "10M orders": 425}


# ================================================================ vocabularies
# Owner and buyer names (personal data) and business names come from disjoint word lists, so a
# business name can never contain an owner's name (checked by `_check_vocabularies`).

MALE_FIRST = ["Agus", "Budi", "Bambang", "Joko", "Slamet", "Eko", "Heru", "Wahyu", "Teguh", "Hadi",
              "Sugeng", "Yusuf", "Rudi", "Andi", "Arif", "Dedi", "Hendra", "Imam", "Ahmad", "Muhammad",
              "Rizky", "Fajar", "Bayu", "Dimas", "Gilang", "Yoga", "Anton", "Darmaji", "Suparno", "Tri"]
FEMALE_FIRST = ["Sri", "Siti", "Dewi", "Endang", "Rina", "Wulan", "Ani", "Yuni", "Ratna", "Nurul",
                "Fitri", "Indah", "Rini", "Ayu", "Diah", "Eni", "Tutik", "Umi", "Puji", "Retno", "Maya",
                "Novi", "Dian", "Lina", "Ika", "Yanti", "Ningsih", "Kartika", "Susi", "Erna"]
MALE_LAST = ["Santoso", "Wijaya", "Setiawan", "Susanto", "Prasetyo", "Hidayat", "Nugroho", "Wibowo",
             "Saputra", "Kurniawan", "Haryanto", "Sulistyo", "Sutrisno", "Permana", "Firmansyah",
             "Hartono", "Widodo", "Subagyo", "Purnomo", "Gunawan", "Siswanto", "Hermawan"]
FEMALE_LAST = ["Rahayu", "Wahyuni", "Handayani", "Pratiwi", "Suryani", "Utami", "Purnamasari",
               "Mulyani", "Rahmawati", "Anggraini", "Astuti", "Susilowati", "Kusumawati", "Lestiani",
               "Fitriani", "Wulandari", "Setyaningsih", "Hastuti", "Maharani", "Safitri"]

SECTOR_CHOICES = ["makanan_minuman", "perdagangan", "jasa", "kerajinan", "fashion", "pertanian", "lainnya"]
SECTOR_WEIGHTS = [0.61, 0.12, 0.08, 0.07, 0.07, 0.03, 0.02]
BIZ_PREFIX = [
    ["Warung", "Keripik", "Bakso", "Soto", "Dapur", "Kedai", "Sambal", "Kopi", "Roti", "Kue",
     "Bandeng Presto", "Lumpia", "Wingko", "Jenang", "Nasi Kucing", "Mie Ayam", "Pecel", "Dawet",
     "Catering", "Frozen Food", "Tahu Bakso", "Emping", "Rengginang", "Gethuk", "Brem", "Geplak"],
    ["Toko", "Toko Kelontong", "Grosir", "Warung Sembako", "Agen", "Toko Plastik", "Kios"],
    ["Laundry", "Bengkel", "Salon", "Penjahit", "Fotocopy", "Servis HP", "Rias Pengantin", "Percetakan"],
    ["Kerajinan", "Anyaman", "Ukir", "Gerabah", "Mebel", "Kriya", "Tenun", "Souvenir"],
    ["Batik", "Konveksi", "Butik", "Lurik", "Hijab", "Sablon", "Tas", "Sepatu"],
    ["Tani", "Ternak", "Budidaya Lele", "Kebun", "Jamur", "Madu", "Tambak"],
    ["Usaha", "UD", "CV", "Jasa Umum"],
]
BIZ_SUFFIX = ["Barokah", "Berkah", "Sederhana", "Sumber Rejeki", "Makmur", "Sehati", "Rasa",
              "Mulya", "Sentosa", "Lancar", "Sejahtera", "Nusantara", "Kenanga", "Melati",
              "Cempaka", "Mawar", "Gurih", "Nikmat", "Manunggal", "Pelangi", "Tentrem", "Ayem",
              "Rejo", "Sakinah", "Amanah", "Mekar", "Jempol", "Kencana", "Lumintu", "Mandala"]
BIZ_EXTRA = ["Jaya", "Abadi", "Mandiri", "Putra", "Putri", "Asli", "Joss", "Mantap", "Sejati", "Prima"]


def _check_vocabularies() -> None:
    person = {w.lower() for w in MALE_FIRST + FEMALE_FIRST + MALE_LAST + FEMALE_LAST}
    business = {w.lower() for words in BIZ_PREFIX for phrase in words for w in phrase.split()}
    business |= {w.lower() for phrase in BIZ_SUFFIX + BIZ_EXTRA for w in phrase.split()}
    overlap = person & business
    assert not overlap, f"business-name words that are also person names: {sorted(overlap)}"


_check_vocabularies()


# ================================================================ reference data

@dataclass(frozen=True)
class _Reference:
    region_codes: np.ndarray        # int, BPS codes
    region_names: np.ndarray        # official names
    region_kota: np.ndarray         # bool
    region_weights: np.ndarray
    fx: dict                        # (YYYY-MM, currency) -> idr per unit

    @classmethod
    def load(cls) -> _Reference:
        regions = pd.read_csv(SEEDS_DIR / "regions_jateng.csv", dtype=str)
        fx = pd.read_csv(SEEDS_DIR / "fx_rates_monthly.csv", dtype={"month": str, "currency": str})
        codes = regions["region_code"].astype(int).to_numpy()
        kota = (regions["region_type"] == "Kota").to_numpy()
        # rough 2020 population (thousands) by BPS code; cities hold more UMKM per head
        population = {3301: 1944, 3302: 1776, 3303: 998, 3304: 1017, 3305: 1350, 3306: 769, 3307: 879,
                      3308: 1299, 3309: 1062, 3310: 1260, 3311: 907, 3312: 1043, 3313: 931, 3314: 976,
                      3315: 1453, 3316: 884, 3317: 645, 3318: 1324, 3319: 849, 3320: 1184, 3321: 1203,
                      3322: 1053, 3323: 790, 3324: 1018, 3325: 801, 3326: 968, 3327: 1471, 3328: 1596,
                      3329: 1978, 3371: 121, 3372: 523, 3373: 193, 3374: 1653, 3375: 307, 3376: 273}
        weights = np.array([population.get(int(c), 800) for c in codes], dtype=float) * np.where(kota, 1.8, 1.0)
        return cls(codes, regions["region_name"].to_numpy(dtype=object), kota, weights / weights.sum(),
                   {(m, c): float(r) for m, c, r in fx.itertuples(index=False)})


# ================================================================ the UMKM population

_PREFIX_WORDS = [word for words in BIZ_PREFIX for word in words]
_PREFIX_COUNT = np.array([len(words) for words in BIZ_PREFIX])
_PREFIX_START = np.cumsum(_PREFIX_COUNT) - _PREFIX_COUNT


class _Population:
    """Every UMKM the demo knows, as numeric arrays; strings are rendered per file."""

    PHONE_OPERATORS = np.array([11, 12, 13, 21, 22, 23, 51, 52, 53, 55, 56, 57, 58, 77, 78, 81, 82, 83,
                                87, 88, 95, 96, 97, 98, 99])

    def __init__(self, rng, n: int, ref: _Reference):
        self.n = n
        self.ref = ref
        self.female = rng.random(n) < 0.55
        self.r_first, self.r_last, self.r_mid = (rng.integers(0, 1 << 30, n) for _ in range(3))
        self.has_mid = rng.random(n) < 0.12
        self.region = rng.choice(len(ref.region_codes), n, p=ref.region_weights)
        self.sector = rng.choice(len(SECTOR_CHOICES), n, p=SECTOR_WEIGHTS)
        self.scale = rng.choice(3, n, p=[0.85, 0.12, 0.03])
        self.nik = self._niks(rng)
        self.has_nib = rng.random(n) < 0.55
        self.nib = _distinct_ints(rng, n, 8_120_000_000_000, 9_129_999_999_999)
        self.phone = (8 * 10**10 + rng.choice(self.PHONE_OPERATORS, n) * 10**8
                      + rng.integers(0, 10**8, n)).astype(np.int64)
        self.r_biz = rng.integers(0, 1 << 30, (n, 3))
        self.biz_extra = rng.choice(3, n, p=[0.6, 0.25, 0.15])   # none / extra word / region word
        median = np.array([6e6, 60e6, 900e6])[self.scale]
        self.turnover = _round_nice(median * np.exp(rng.normal(0, 0.7, n)), rng)
        low, high = np.array([1, 5, 20])[self.scale], np.array([5, 20, 100])[self.scale]
        self.workers = (low + np.floor(rng.power(0.5, n) * (high - low))).astype(np.int64)
        self.digital = rng.random(n)                              # propensity to sell online
        self.region_base = np.array([name.split(" ", 1)[1] for name in ref.region_names], dtype=object)

    def _niks(self, rng) -> np.ndarray:
        """16 digits: BPS region, district, birth date (women +40 on the day), sequence."""
        n = self.n
        region = self.ref.region_codes[self.region].astype(np.int64)
        district = rng.integers(1, 21, n)
        birth = rng.integers(_day(1958, 1, 1), _day(2000, 12, 31), n).astype("datetime64[D]")
        month_start = birth.astype("datetime64[M]")
        day = (birth - month_start.astype("datetime64[D]")).astype(np.int64) + 1 + np.where(self.female, 40, 0)
        month = month_start.astype(np.int64) % 12 + 1
        year = (birth.astype("datetime64[Y]").astype(np.int64) + 1970) % 100
        stem = region * 10**12 + district * 10**10 + day * 10**8 + month * 10**6 + year * 10**4
        sequence = rng.integers(1, 400, n)
        for _ in range(50):  # resolve the rare collisions
            nik = stem + sequence
            duplicated = pd.Series(nik).duplicated().to_numpy()
            if not duplicated.any():
                return nik
            sequence[duplicated] = rng.integers(1, 9999, int(duplicated.sum()))
        raise RuntimeError("could not draw distinct NIKs")

    # ---------------------------------------------------------------- rendering
    def owner_names(self, idx) -> pa.Array:
        f = self.female[idx]
        r_first, r_mid, r_last = self.r_first[idx], self.r_mid[idx], self.r_last[idx]
        first = _where(f, _pick(FEMALE_FIRST, r_first), _pick(MALE_FIRST, r_first))
        mid = _where(f, _pick(FEMALE_FIRST, r_first + 1 + r_mid % 7), _pick(MALE_FIRST, r_first + 1 + r_mid % 7))
        last = _where(f, _pick(FEMALE_LAST, r_last), _pick(MALE_LAST, r_last))
        return _cat(first, " ", _where(self.has_mid[idx], _cat(mid, " "), ""), last)

    def business_names(self, idx) -> pa.Array:
        sector, r_biz = self.sector[idx], self.r_biz[idx]
        prefix = _pick(_PREFIX_WORDS, _PREFIX_START[sector] + r_biz[:, 0] % _PREFIX_COUNT[sector])
        name = _cat(prefix, " ", _pick(BIZ_SUFFIX, r_biz[:, 1]))
        extra = self.biz_extra[idx]
        return _select([extra == 1, extra == 2],
                       [_cat(name, " ", _pick(BIZ_EXTRA, r_biz[:, 2])),
                        _cat(name, " ", _pick(self.region_base, self.region[idx]))], name)

    def phones(self, idx, rng) -> pa.Array:
        number = self.phone[idx]
        form = rng.choice(4, len(idx), p=[0.72, 0.1, 0.13, 0.05])
        national = _str(number)
        d = _digits(number, 11)
        dashed = _join_chars(["0", d[:, :3], "-", d[:, 3:7], "-", d[:, 7:]], len(idx))
        return _select([form == 0, form == 1, form == 2],
                       [_cat("0", national), _cat("+62", national), _cat("62", national)], dashed)

    def nik_text(self, idx, rng, p_apostrophe: float = 0.03, p_spaced: float = 0.02) -> pa.Array:
        nik = self.nik[idx]
        plain = _str(nik)
        d = _digits(nik, 16)
        spaced = _join_chars([d[:, :4], " ", d[:, 4:8], " ", d[:, 8:12], " ", d[:, 12:]], len(idx))
        u = rng.random(len(idx))
        return _select([u < p_apostrophe, u < p_apostrophe + p_spaced], [_cat("'", plain), spaced], plain)

    @cached_property
    def _region_forms(self) -> tuple[list, list]:
        """Per region: the ways people write its code (plain, dotted) and its name (five forms)."""
        ref = self.ref
        codes = [str(int(c)) for c in ref.region_codes]
        dotted = [f"{c[:2]}.{c[2:]}" for c in codes]
        bases = list(self.region_base)
        ambiguous = pd.Series(bases).duplicated(keep=False).to_numpy()
        official = list(ref.region_names)
        names = (official + [o if k else f"Kab. {b}" for o, k, b in zip(official, ref.region_kota, bases)]
                 + [o.lower() for o in official] + [o.upper() for o in official]
                 + [o if a else b for o, a, b in zip(official, ambiguous, bases)])
        return codes + dotted, names

    def region_cells(self, idx, rng, p_code: float, p_both: float, p_dotted: float = 0.15):
        """(kode_kabkota, kabupaten_kota) as people fill them: code, code and name, or name only."""
        codes, names = self._region_forms
        regions = len(self.ref.region_codes)
        region = self.region[idx]
        n = len(idx)
        code_text = _pick(codes, region + regions * (rng.random(n) < p_dotted))
        name = _pick(names, region + regions * rng.choice(5, n, p=[0.4, 0.25, 0.15, 0.1, 0.1]))
        u = rng.random(n)
        return _where(u < p_code + p_both, code_text, ""), _where(u >= p_code, name, "")


def _bad_rows(rng, n: int, *counts: int) -> list[np.ndarray]:
    """Disjoint random row positions, one array per requested count."""
    total = min(sum(counts), n)
    chosen = rng.choice(n, total, replace=False) if total else np.array([], dtype=np.int64)
    out, start = [], 0
    for count in counts:
        out.append(np.sort(chosen[start:start + count]))
        start += count
    return out


def _few(n: int, per: int, minimum: int = 2) -> int:
    """How many bad rows of one kind: a few, growing slowly with the data."""
    return max(minimum, n // per)


# ================================================================ the world: population and programs

PROGRAMS = ["gofood_banner_promo", "goshop", "shopee_kampus_umkm", "uvo_2021", "mbizmarket_pbj"]
BANNER, GOSHOP, SHOPEE, UVO, MBIZ = range(5)


class _World:
    def __init__(self, ref: _Reference, scale: int, seed: int, province: bool | None = None):
        self.ref, self.scale, self.seed = ref, scale, seed
        self.province = scale >= PROVINCE_SCALE if province is None else province
        rng = self.rng("population")
        self.pop = pop = _Population(rng, UMKM_PER_SCALE * scale, ref)
        n_a, n_b = 1750 * scale, 1200 * scale
        order = rng.permutation(pop.n)
        self.wave_a = np.sort(order[:n_a])
        from_a = rng.choice(self.wave_a, int(n_b * 0.55), replace=False)
        self.wave_b = np.sort(np.concatenate([from_a, order[n_a:n_a + n_b - len(from_a)]]))
        self.respondent = np.zeros(pop.n, bool)
        self.respondent[self.wave_a] = self.respondent[self.wave_b] = True
        self._enroll(self.rng("enrollment"))

    def rng(self, stream: str) -> np.random.Generator:
        """An independent generator per part of the demo, so one part's draws never shift another's."""
        return np.random.default_rng([self.seed, *stream.encode()])

    def _enroll(self, rng) -> None:
        pop, s = self.pop, self.scale
        counts = {BANNER: 130 * s, GOSHOP: 80 * s, SHOPEE: 110 * s, UVO: 80 * s}
        sector_pref = {BANNER: [1, 0.02, 0.02, 0, 0, 0.01, 0], GOSHOP: [0.3, 1, 0.1, 1, 1, 0.2, 0.1],
                       SHOPEE: [0.5, 0.6, 0.05, 1, 1, 0.3, 0.1], UVO: [0.4, 0.1, 0, 1, 1, 0.5, 0]}
        windows = {BANNER: (_day(2021, 1, 4), 270), GOSHOP: (_day(2021, 2, 1), 270),
                   SHOPEE: (_day(2021, 8, 16), 318), UVO: (_day(2021, 1, 11), 170)}
        rows = {"program": [], "pop": [], "joined": []}
        banner_members = None
        for program in (BANNER, GOSHOP, SHOPEE, UVO):
            n = counts[program]
            taken = np.zeros(pop.n, bool)
            chosen = []
            if program == GOSHOP:  # the same GoBiz merchant often joins both GoFood programs
                both = rng.choice(banner_members, int(n * 0.45), replace=False)
                chosen.append(both)
                taken[banner_members] = True
            n_rest = n - sum(len(c) for c in chosen)
            n_outside = int(round(n_rest * 0.1))             # UMKM that never answered the survey
            for in_survey, size in ((True, n_rest - n_outside), (False, n_outside)):
                pool = np.flatnonzero((self.respondent == in_survey) & ~taken)
                weight = np.asarray(sector_pref[program])[pop.sector[pool]] + 1e-9
                pick = rng.choice(pool, size, replace=False, p=weight / weight.sum())
                taken[pick] = True
                chosen.append(pick)
            members = np.concatenate(chosen)
            if program == BANNER:
                banner_members = members
            start, span = windows[program]
            rows["program"].append(np.full(n, program))
            rows["pop"].append(members)
            rows["joined"].append(start + np.floor(rng.beta(1.2, 2.2, n) * span).astype(np.int64))
        program = np.concatenate(rows["program"])
        member = np.concatenate(rows["pop"])
        joined = np.concatenate(rows["joined"])
        gofood = program <= GOSHOP
        # platform ids: one GoBiz merchant per UMKM (shared by both GoFood programs), shop ids, UVO ids
        merchant = np.zeros(len(program), np.int64)
        g_pop = np.unique(member[gofood])
        g_ids = _distinct_ints(rng, len(g_pop), 100_000_000, 900_000_000)   # 9xxxxxxxx: merchants in no program
        merchant[gofood] = g_ids[np.searchsorted(g_pop, member[gofood])]
        shop = program == SHOPEE
        merchant[shop] = _distinct_ints(rng, int(shop.sum()), 100_000_000, 900_000_000)
        uvo = program == UVO
        merchant[uvo] = np.argsort(np.argsort(joined[uvo], kind="stable"), kind="stable") + 1
        # some registry rows give only the NIB (UMKM outside the survey that have one)
        nib_only = ~self.respondent[member] & pop.has_nib[member] & (rng.random(len(member)) < 0.5)
        self.enrolled = pd.DataFrame({"program": program, "pop": member, "joined": joined,
                                      "merchant": merchant, "nib_only": nib_only})
        self.uvo_width = max(4, len(str(int(uvo.sum()))))

    @cached_property
    def mbiz(self) -> pd.DataFrame:
        """The Mbizmarket vendors of program `mbizmarket_pbj`, drawn apart (`demo.story`): the other
        programs' registry rows, and every file made from them, do not depend on them."""
        from demo.story import _mbiz_vendors

        return _mbiz_vendors(self)

    @cached_property
    def promotions(self):
        """Who was shown on Lapak Ganjar, and when (`demo.story`)."""
        from demo.story import _promotions

        return _promotions(self)

    def merchant_ids(self, rows: pd.DataFrame) -> pa.Array:
        program, merchant = rows["program"].to_numpy(), rows["merchant"].to_numpy()
        n = len(merchant)
        uvo = _cat("UVO-", _join_chars([_digits(merchant, self.uvo_width)], n))
        if (program == MBIZ).any():
            uvo = _where(program == MBIZ, _cat("MBZ-", _join_chars([_digits(merchant, 6)], n)), uvo)
        return _select([program <= GOSHOP, program == SHOPEE], [_cat("G", _str(merchant)), _str(merchant)], uvo)
