"""What the office did beyond the partner feeds, as numbers: the Mbizmarket vendors it trained,
who registered for (and attended) its trainings, and who was shown on Lapak Ganjar.

Each is drawn from a generator stream of its own ("enrollment-mbiz", "training", "lapak-ganjar"),
so the partner programs' registry, their merchant ids and the files made from them do not move.
The sources that tell the story read it from here: GoBiz and Shopee orders of a promoted UMKM
rise a little in the 30 days from its first Lapak Ganjar day (`LAPAK_LIFT`), trained vendors start
selling on Mbizmarket weeks after their training (`demo.mbizmarket`), the training lists hold the
vendors among the participants (`demo.training`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from demo.cells import DAY, WIB, _day, _distinct_ints
from demo.common import (BANNER, GOSHOP, LAPAK_PER_DAY, MBIZ, MBIZ_VENDORS_PER_SCALE, SEEDS_DIR, SHOPEE, UVO,
                         _World)

LAPAK_WINDOW, LAPAK_LIFT = 30, 1.2          # days from the first promotion; extra share of orders
LAPAK_FIRST_DAY, LAPAK_LAST_DAY = _day(2021, 1, 1), _day(2021, 12, 31)
MBIZ_TRAININGS = ("mbiz-pbj-2021-08", "mbiz-pbj-2022-02")
# sectors Mbizmarket's government buyers order from: snacks and catering, office supplies, printing,
# souvenirs, batik uniforms (SECTOR_CHOICES order)
MBIZ_SECTOR_PREF = np.array([0.6, 1.0, 0.8, 0.6, 0.8, 0.2, 0.3])


def _activities() -> pd.DataFrame:
    """The trainings, bimtek, workshops and classes of the reference (not the Lapak Ganjar promotion)."""
    frame = pd.read_csv(SEEDS_DIR / "activities.csv", dtype=str)
    frame = frame[frame["kind"] != "promosi"].reset_index(drop=True)
    for column in ("start_date", "end_date"):
        frame[column] = pd.to_datetime(frame[column]).to_numpy().astype("datetime64[D]").astype(np.int64)
    return frame


# ================================================================ Mbizmarket vendors

def _mbiz_vendors(world: _World) -> pd.DataFrame:
    """Registry rows of program `mbizmarket_pbj` (one per vendor) and how each sells on Mbizmarket.

    Three in four vendors attended `mbiz-pbj-2021-08`, the others `mbiz-pbj-2022-02`. A vendor's
    account is verified days after its training (`joined`); its first order comes one to four
    weeks later (`sell_from`), except for a few pioneers that already sold a little before the
    first training.
    Vendors need an NIB for government procurement, and are in no partner program."""
    rng = world.rng("enrollment-mbiz")
    pop, n = world.pop, MBIZ_VENDORS_PER_SCALE * world.scale
    taken = np.zeros(pop.n, bool)
    taken[world.enrolled["pop"].to_numpy()] = True
    pool = np.flatnonzero(~taken & pop.has_nib)
    weight = (MBIZ_SECTOR_PREF[pop.sector[pool]] * np.array([1.0, 2.0, 2.0])[pop.scale[pool]]
              * np.where(world.respondent[pool], 1.0, 0.15))
    member = rng.choice(pool, n, replace=False, p=weight / weight.sum())
    cohort = (np.arange(n) >= round(n * 0.75)).astype(np.int64)
    trained = np.where(cohort == 0, _day(2021, 8, 12), _day(2022, 2, 17))     # the training's last day
    joined = trained + rng.integers(1, 21, n)
    sell_from = joined + rng.integers(7, 29, n)
    pioneer = np.zeros(n, bool)
    pioneer[rng.permutation(round(n * 0.75))[:max(1, round(n * 0.75 * 0.1))]] = True
    sell_from = np.where(pioneer, _day(2021, 5, 3) + rng.integers(0, 60, n), sell_from)
    rate = np.exp(rng.normal(0, 0.6, n)) * ((rng.random(n) > 0.08) | pioneer)    # some never sell
    # vendor ids are handed out in registration order on Mbizmarket
    registered = np.where(pioneer, sell_from - 30, joined)
    ids = np.sort(_distinct_ints(rng, n, 1_000, 999_999))
    merchant = ids[np.argsort(np.argsort(registered, kind="stable"), kind="stable")]
    return pd.DataFrame({"program": np.full(n, MBIZ), "pop": member, "joined": joined, "merchant": merchant,
                         "nib_only": np.zeros(n, bool), "cohort": cohort, "sell_from": sell_from,
                         "pioneer": pioneer, "rate": rate})


# ================================================================ training registrations

ATTENDED, ABSENT, UNMARKED = range(3)        # Kehadiran: Hadir / Tidak Hadir / empty


def _members(world: _World, *programs: int) -> np.ndarray:
    e = world.enrolled
    mask = np.zeros(world.pop.n, bool)
    mask[e["pop"].to_numpy()[e["program"].isin(programs).to_numpy()]] = True
    return mask


def _registrations(world: _World) -> pd.DataFrame:
    """One row per registration (duplicates included, bad rows not): activity (index into
    `_activities()`), pop, ts (epoch seconds, UTC), attendance, duplicate (a second registration).

    Registrations come in the 3-4 weeks before the activity's first day.
    The Mbizmarket trainings hold every vendor of their cohort, who attended, and others. A second
    registration comes before the form closes (08:00 WIB on the first day)."""
    rng = world.rng("training")
    pop, s = world.pop, world.scale
    activities = _activities()
    e = world.enrolled
    # NIB-only registry rows are UMKM whose NIK the office does not have: not in a form that asks it
    eligible = np.ones(pop.n, bool)
    eligible[e["pop"].to_numpy()[e["nib_only"].to_numpy()]] = False
    respondent = world.respondent & eligible
    vendors = world.mbiz
    is_vendor = np.zeros(pop.n, bool)
    is_vendor[vendors["pop"].to_numpy()] = True
    sector = pop.sector
    makers = respondent & np.isin(sector, [0, 3, 4])          # food, crafts, fashion: products to photograph
    gofood, shopee, uvo = _members(world, BANNER, GOSHOP), _members(world, SHOPEE), _members(world, UVO)
    pools = {   # activity -> (registrations per scale unit besides the vendors, [(share, pool), ...])
        "literasi-digital-2021-03": (80, [(0.85, respondent), (0.15, eligible & ~world.respondent)]),
        "bimtek-gofood-2021-05": (45, [(0.6, gofood & eligible), (0.4, respondent & (sector == 0))]),
        "workshop-foto-produk-2021-06": (35, [(0.3, shopee & eligible), (0.7, makers)]),
        "mbiz-pbj-2021-08": (15, [(1.0, respondent & pop.has_nib & ~is_vendor)]),
        "kampus-umkm-kelas-2021-09": (45, [(0.7, shopee & eligible), (0.3, respondent & (sector != 0))]),
        "bimtek-ekspor-uvo-2021-10": (30, [(0.8, uvo & eligible), (0.2, respondent & np.isin(sector, [3, 4]))]),
        "mbiz-pbj-2022-02": (10, [(1.0, respondent & pop.has_nib & ~is_vendor)]),
    }
    parts = []
    for a, row in activities.iterrows():           # a handful of activities, not rows
        size, shares = pools[row["activity_id"]]
        chosen = []
        if row["activity_id"] in MBIZ_TRAININGS:
            chosen.append(vendors["pop"].to_numpy()[vendors["cohort"].to_numpy() == MBIZ_TRAININGS.index(
                row["activity_id"])])
        taken = np.zeros(pop.n, bool)
        for share, pool in shares:
            candidates = np.flatnonzero(pool & ~taken)
            pick = rng.choice(candidates, min(len(candidates), round(size * s * share)), replace=False)
            taken[pick] = True
            chosen.append(pick)
        member = np.concatenate(chosen)
        n = len(member)
        vendor = is_vendor[member]
        attendance = np.where(vendor, ATTENDED, rng.choice(3, n, p=[0.78, 0.12, 0.10]))
        # a day in the 3-4 weeks before the first day (more of them near it), mostly in the day or evening
        day = row["start_date"] - 1 - np.floor(rng.beta(1.2, 2.0, n) * 24).astype(np.int64)
        tod = np.where(rng.random(n) < 0.85, rng.integers(6 * 3600, 22 * 3600, n), rng.integers(0, 24 * 3600, n))
        local = day * DAY + tod
        parts.append(pd.DataFrame({"activity": np.full(n, a), "pop": member, "ts": local - WIB,
                                   "attendance": attendance, "duplicate": np.zeros(n, bool)}))
    frame = pd.concat(parts, ignore_index=True)
    # some register twice (minutes or days apart); the staff mark only one of the two rows
    n = len(frame)
    twice = np.flatnonzero(rng.random(n) < 0.04)
    again = frame.iloc[twice].copy()
    closes = (activities["start_date"].to_numpy()[again["activity"].to_numpy()] * DAY + 8 * 3600) - WIB
    room = np.maximum(closes - again["ts"].to_numpy(), 2)
    again["ts"] = again["ts"].to_numpy() + np.minimum(rng.integers(600, 3 * DAY, len(twice)), room // 2)
    again["duplicate"] = True
    second_marked = (again["attendance"].to_numpy() == ATTENDED) & (rng.random(len(twice)) < 0.5)
    again["attendance"] = np.where(second_marked, ATTENDED, UNMARKED)
    first = frame["attendance"].to_numpy().copy()
    first[twice[second_marked]] = UNMARKED
    frame["attendance"] = first
    frame = pd.concat([frame, again], ignore_index=True)
    return frame.sort_values(["ts", "pop"], kind="stable").reset_index(drop=True)


# ================================================================ Lapak Ganjar

def _promotions(world: _World) -> pd.DataFrame:
    """One row per UMKM shown on Lapak Ganjar on a day of 2021 (pop, day), sorted by day.

    A fifth of the UMKM shown are GoBiz merchants of the GoFood programs, shown at least 30 days
    after they joined and before December, so both windows around their first day hold orders;
    some are Shopee shops that send their exports, shown from September on; the others are survey
    respondents and registry UMKM. About one in seven is shown again later in the year."""
    from demo.shopee_orders import _shopee_folders

    rng = world.rng("lapak-ganjar")
    pop, e = world.pop, world.enrolled
    days = LAPAK_LAST_DAY - LAPAK_FIRST_DAY + 1
    n_umkm = round(LAPAK_PER_DAY * world.scale * days / 1.15)
    taken = np.zeros(pop.n, bool)
    gofood = e[e["program"] <= GOSHOP].groupby("pop", sort=True)["joined"].min()
    gofood = gofood[gofood <= _day(2021, 11, 1) - 30]
    n_gofood = min(len(gofood), round(0.22 * n_umkm))
    g = np.sort(rng.choice(len(gofood), n_gofood, replace=False))
    g_pop, g_joined = gofood.index.to_numpy()[g], gofood.to_numpy()[g]
    taken[g_pop] = True
    g_day = rng.integers(g_joined + 30, _day(2021, 12, 1) + 1)
    shops = _shopee_folders(world, world.rng("shopee"))
    shops = shops[(shops["joined"] <= _day(2021, 11, 15)).to_numpy() & ~taken[shops["pop"].to_numpy()]]
    s_pick = np.sort(rng.choice(len(shops), int(np.ceil(0.6 * len(shops))), replace=False))
    s_pop, s_joined = shops["pop"].to_numpy()[s_pick], shops["joined"].to_numpy()[s_pick]
    taken[s_pop] = True
    s_day = rng.integers(np.maximum(s_joined, _day(2021, 8, 1)) + 30, LAPAK_LAST_DAY + 1)
    n_rest = n_umkm - len(g_pop) - len(s_pop)
    in_registry = np.zeros(pop.n, bool)
    in_registry[e["pop"].to_numpy()] = True
    n_outside = round(n_rest * 0.15)
    rest = []
    for pool, size in ((world.respondent & ~taken, n_rest - n_outside), (in_registry & ~world.respondent & ~taken,
                                                                         n_outside)):
        candidates = np.flatnonzero(pool)
        weight = 0.3 + pop.digital[candidates]
        rest.append(rng.choice(candidates, min(size, len(candidates)), replace=False, p=weight / weight.sum()))
    r_pop = np.concatenate(rest)
    r_day = LAPAK_FIRST_DAY + rng.integers(0, days, len(r_pop))
    member = np.concatenate([g_pop, s_pop, r_pop])
    first = np.concatenate([g_day, s_day, r_day])
    # some are shown again, a week or more later
    again = np.flatnonzero((rng.random(len(member)) < 0.15) & (first + 7 <= LAPAK_LAST_DAY))
    later = rng.integers(first[again] + 7, LAPAK_LAST_DAY + 1)
    frame = pd.DataFrame({"pop": np.concatenate([member, member[again]]), "day": np.concatenate([first, later])})
    return frame.sort_values(["day", "pop"], kind="stable").reset_index(drop=True)


def _first_promotion(world: _World, pops: np.ndarray) -> np.ndarray:
    """The first Lapak Ganjar day of each UMKM in `pops` (days since the epoch), -10**6 for none."""
    first = world.promotions.groupby("pop", sort=True)["day"].min()
    keys, values = first.index.to_numpy(), first.to_numpy()
    pops = np.asarray(pops)
    at = np.clip(np.searchsorted(keys, pops), 0, max(len(keys) - 1, 0))
    found = (keys[at] == pops) if len(keys) else np.zeros(len(pops), bool)
    return np.where(found, values[at] if len(keys) else 0, -10**6)
