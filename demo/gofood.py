"""GoBiz transaction reports (GoFood, GoShop, GoPay): monthly per account for a pilot, one
province-wide report a day from `PROVINCE_SCALE` on; and the day after the zone's last day."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from demo.cells import (DAY, WIB, _at, _cat, _const, _daily_weights, _day, _digits, _distinct_ints, _fmt_time, _grouped,
                        _join_chars, _month_index, _pick, _select, _str, _take, _uuid_text, _where, _ymd)
from demo.common import GOBIZ_PER_SCALE, GOSHOP, _World, _bad_rows, _few
from demo.files import _Landing, _csv_bytes
from demo.story import LAPAK_LIFT, LAPAK_WINDOW, _first_promotion


GOBIZ_COLUMNS = ["Transaction Date", "Transaction time", "Transaction ID", "Transaction Reference",
                 "Order ID", "Stan", "Amount", "Nett Amount", "Transaction Status", "Feature",
                 "Payment Type", "Merchant name", "Merchant ID", "Promo Type", "Promo Name",
                 "Gopay promo", "GoFood discount", "Voucher commission", "Tax", "Witholding tax",
                 "Currency"]
GOBIZ_FEATURES = ["GoFood", "GoShop", "GoPay"]


GOBIZ_FIRST_DAY = _day(2021, 1, 1)
GOBIZ_DAYS = 365                  # the zone holds 2021; day GOBIZ_DAYS (2022-01-01) is `write_new_gobiz_day`'s
GOBIZ_STATUS = {  # feature -> (statuses, weights) of the final status
    "GoFood": (["completed", "cancel", "expire", "refund", "pending"], [0.885, 0.07, 0.025, 0.015, 0.005]),
    "GoShop": (["completed", "cancel", "expire", "refund", "pending"], [0.89, 0.06, 0.03, 0.015, 0.005]),
    "GoPay": (["settlement", "expire", "cancel", "pending", "deny", "refund"], [0.91, 0.04, 0.02, 0.01, 0.01, 0.01]),
}
GOBIZ_PAYMENT = {"GoFood": (["GOPAY", "CASH", "GOPAY_LATER", "CREDIT_CARD"], [0.55, 0.3, 0.1, 0.05]),
                 "GoShop": (["GOPAY", "CASH", "GOPAY_LATER"], [0.7, 0.2, 0.1]),
                 "GoPay": (["QRIS", "GOPAY"], [0.8, 0.2])}
STATUS_NAMES = sorted({s for statuses, _ in GOBIZ_STATUS.values() for s in statuses})
PAYMENT_NAMES = sorted({p for options, _ in GOBIZ_PAYMENT.values() for p in options})
GOFOOD_F, GOSHOP_F, GOPAY_F = range(3)                                      # index into GOBIZ_FEATURES
# feature shares by merchant kind: banner promo only, Go-Shop only, both programs, in no program
FEATURE_BY_KIND = [[0.85, 0, 0.15], [0, 0.8, 0.2], [0.55, 0.3, 0.15], [0.9, 0, 0.1]]


def _draw_by_group(rng, group: np.ndarray, choices: list[tuple[list, list]], vocabulary: list) -> np.ndarray:
    """Per row, one option of its group's (options, weights), as an index into `vocabulary`."""
    out = np.zeros(len(group), np.int8)
    for g, (options, weights) in enumerate(choices):
        mask = group == g
        codes = np.array([vocabulary.index(option) for option in options], dtype=np.int8)
        out[mask] = codes[rng.choice(len(options), int(mask.sum()), p=np.asarray(weights) / sum(weights))]
    return out


def _gobiz_groups(scale: int) -> int:
    """GoBiz accounts (merchant groups), each downloading its own reports: grows slower than the data."""
    return 8 * max(1, round(math.sqrt(scale)))


class _GoBiz:
    """The GoBiz merchants and their transactions. A day's transactions come from a generator of
    their own (day 0 = 2021-01-01), so any day can be made without the others, the new day too."""

    def __init__(self, world: _World):
        self.world = world
        rng = world.rng("gobiz")
        pop, e, s = world.pop, world.enrolled, world.scale
        g = e[e["program"] <= GOSHOP].assign(bit=lambda f: np.left_shift(1, f["program"]))
        merchants = g.groupby("merchant", sort=True).agg(pop=("pop", "first"), joined=("joined", "min"),
                                                         programs=("bit", "sum"))
        kind = np.select([merchants["programs"] == 1, merchants["programs"] == 2], [0, 1], 2)
        # a few merchants on GoBiz that are in no program
        outsiders = np.flatnonzero(~np.isin(np.arange(pop.n), e["pop"]) & (pop.sector == 0))
        n_extra = 4 * s
        extra_pop = rng.choice(outsiders, n_extra, replace=False)
        extra_gid = _distinct_ints(rng, n_extra, 900_000_000, 1_000_000_000)
        self.gid = np.concatenate([merchants.index.to_numpy(), extra_gid])
        m_pop = np.concatenate([merchants["pop"].to_numpy(), extra_pop])
        self.kind = np.concatenate([kind, np.full(n_extra, 3)])
        self.joined = np.concatenate([merchants["joined"].to_numpy(), np.full(n_extra, GOBIZ_FIRST_DAY + 30)])
        m = len(self.gid)
        self.start = np.clip(self.joined - rng.integers(0, 120, m) - GOBIZ_FIRST_DAY, 0, GOBIZ_DAYS - 30)
        end = np.where(rng.random(m) < 0.1, self.start + rng.integers(30, 300, m), GOBIZ_DAYS)
        self.end = np.minimum(end, GOBIZ_DAYS)                 # GOBIZ_DAYS: still selling when 2021 ends
        self.rate = np.exp(rng.normal(0, 0.9, m)) * (rng.random(m) > 0.12)   # some never sell
        self.group = rng.integers(0, _gobiz_groups(s), m)
        name = pop.business_names(m_pop)
        name = _where(rng.random(m) < 0.4, _cat(name, ", ", _pick(pop.region_base, pop.region[m_pop])), name)
        self.name, self.merchant_id = name, _cat("G", _str(self.gid))

        # a merchant shown on Lapak Ganjar sells a little more in the 30 days from its first day there
        self.promoted = _first_promotion(world, m_pop) - GOBIZ_FIRST_DAY

        # transactions per day: GOBIZ_PER_SCALE per scale unit in 2021, following the calendar and who sells;
        # PPKM darurat (3-20 July) cuts orders by ~40%, and they come back over the next two weeks
        ramadan, december = (_day(2021, 4, 13), _day(2021, 5, 12)), (_day(2021, 12, 1), _day(2021, 12, 31))
        darurat, recovery = (_day(2021, 7, 3), _day(2021, 7, 20)), (_day(2021, 7, 21), _day(2021, 8, 3))
        daily = _daily_weights(GOBIZ_FIRST_DAY, GOBIZ_DAYS + 1, [(*ramadan, 1.3), (*darurat, 0.6), (*recovery, 0.85),
                                                                 (*december, 1.1)], 1.2)
        change = np.zeros(GOBIZ_DAYS + 2)
        np.add.at(change, self.start, self.rate)
        np.add.at(change, self.end, -self.rate * (self.end < GOBIZ_DAYS))
        expected = daily * np.cumsum(change)[:GOBIZ_DAYS + 1]
        total = GOBIZ_PER_SCALE * s
        year = rng.multinomial(total, expected[:-1] / expected[:-1].sum())
        self.counts = np.append(year, round(total * expected[-1] / expected[:-1].sum()))
        self.first_index = np.cumsum(self.counts) - self.counts          # position of a day's first transaction
        # a few rows that break the contract: negative and non-numeric amounts
        self.bad_negative, self.bad_text = _bad_rows(rng, total, _few(total, 8000), _few(total, 8000))

    @property
    def transactions(self) -> int:
        return int(self.counts[:GOBIZ_DAYS].sum())

    def day(self, d: int) -> pd.DataFrame:
        """The transactions of day d (WIB), in time order."""
        rng = self.world.rng(f"gobiz-day-{d}")
        active = np.flatnonzero((self.start <= d) & ((self.end == GOBIZ_DAYS) | (d < self.end)) & (self.rate > 0))
        since = d - self.promoted[active]
        weight = self.rate[active] * np.where((since >= 0) & (since < LAPAK_WINDOW), LAPAK_LIFT, 1.0)
        n = int(self.counts[d])
        merchant = np.repeat(active, rng.multinomial(n, weight / weight.sum())) if n else np.zeros(0, np.int64)
        kind = self.kind[merchant]
        feature = _draw_by_group(rng, kind, [(GOBIZ_FEATURES, w) for w in FEATURE_BY_KIND], GOBIZ_FEATURES)
        # local time of day: lunch and dinner peaks; a few orders just after midnight WIB (17:xx Z the day before)
        slot = rng.choice(5, n, p=[0.05, 0.38, 0.12, 0.40, 0.05])
        lo = np.array([6, 10, 14, 17, 0])[slot] * 3600
        hi = np.array([10, 14, 17, 21.5, 1.5])[slot] * 3600
        tod = (lo + rng.random(n) * (hi - lo)).astype(np.int64)
        tod = np.where(feature == GOFOOD_F, tod, rng.integers(7 * 3600, 21 * 3600, n))
        ts = (GOBIZ_FIRST_DAY + d) * DAY + tod - WIB
        median = np.select([feature == GOFOOD_F, feature == GOSHOP_F], [55_000, 180_000], 35_000)
        amount = np.round(median * np.exp(rng.normal(0, 0.6, n)) / 500) * 500
        amount = np.clip(amount, 5_000, 5_000_000).astype(np.int64)
        status = _draw_by_group(rng, feature, [GOBIZ_STATUS[f] for f in GOBIZ_FEATURES], STATUS_NAMES)
        payment = _draw_by_group(rng, feature, [GOBIZ_PAYMENT[f] for f in GOBIZ_FEATURES], PAYMENT_NAMES)
        in_banner = np.isin(kind, [0, 2]) & (feature == GOFOOD_F) & (GOBIZ_FIRST_DAY + d >= self.joined[merchant])
        promo = np.select([in_banner & (rng.random(n) < 0.35), rng.random(n) < 0.06], [1, 2], 0)
        discount = np.where(promo == 1, np.minimum(np.round(amount * 0.1 / 500) * 500, 20_000), 0).astype(np.int64)
        rate = np.select([feature == GOFOOD_F, feature == GOSHOP_F], [0.20, 0.15], 0.007)
        commission = np.round(amount * rate).astype(np.int64)
        uuid = rng.integers(0, np.iinfo(np.uint64).max, (n, 2), dtype=np.uint64, endpoint=True)
        tx = pd.DataFrame({
            "merchant": merchant, "group": self.group[merchant], "day": np.full(n, d), "ts": ts,
            "ms": rng.integers(0, 1000, n), "feature": feature, "amount": amount, "status": status,
            "payment": payment, "promo": promo, "discount": discount, "commission": commission,
            "tax": np.round(commission * 0.11).astype(np.int64),
            "gopay_promo": np.where((promo == 2) & (feature != GOSHOP_F), np.minimum(amount // 10, 10_000), 0),
            "reference": rng.integers(10**11, 10**12, n), "stan": rng.integers(0, 10**6, n),
            "pending_draw": rng.random(n), "uuid_hi": uuid[:, 0], "uuid_lo": uuid[:, 1],
        }).iloc[np.argsort(ts, kind="stable")].reset_index(drop=True)
        # numbered in time order through the year; the new day's numbers follow the year's
        index = self.first_index[d] + np.arange(n)
        tx["order_number"] = 1_200_000_000 + 7 * index + rng.integers(0, 7, n)
        tx["bad"] = np.select([np.isin(index, self.bad_negative), np.isin(index, self.bad_text)], [1, 2], 0)
        return tx


def _gobiz_frame(gobiz: _GoBiz, rows: pd.DataFrame, style: dict, pending_after: int | None = None) -> dict:
    """A GoBiz transaction report. When it was pulled before the day was over (`pending_after`),
    about half the transactions done after that time still show `pending`."""
    n = len(rows)
    ts = rows["ts"].to_numpy()
    feature = rows["feature"].to_numpy()
    status = rows["status"].to_numpy().copy()
    if pending_after is not None:
        settled = np.isin(status, [STATUS_NAMES.index("completed"), STATUS_NAMES.index("settlement")])
        late = (ts >= pending_after) & settled & (rows["pending_draw"].to_numpy() < 0.5)
        status[late] = STATUS_NAMES.index("pending")

    def money(values):
        return _grouped(values, ",") if style["comma"] else _str(values)

    amount = rows["amount"].to_numpy()
    amount_text = money(amount)
    bad = rows["bad"].to_numpy()
    amount_text = _select([bad == 1, bad == 2], [_cat("-", amount_text), "#VALUE!"], amount_text)
    quote = "'" if style["apostrophe"] else ""
    order_no = _str(rows["order_number"].to_numpy())
    uuid = _uuid_text(np.ascontiguousarray(rows[["uuid_hi", "uuid_lo"]].to_numpy(np.uint64)).view(np.uint8))
    merchant = rows["merchant"].to_numpy()
    promo = rows["promo"].to_numpy()
    commission, tax = rows["commission"].to_numpy(), rows["tax"].to_numpy()
    time_format = "%Y-%m-%dT%H:%M:%S.%fZ" if style["millis"] else "%Y-%m-%dT%H:%M:%SZ"
    table = {
        "Transaction Date": _fmt_time(ts + WIB, "%m/%d/%Y"),
        "Transaction time": _fmt_time(ts, time_format, rows["ms"].to_numpy()),
        "Transaction ID": _cat(quote, uuid),
        "Transaction Reference": _cat("A12", _str(rows["reference"].to_numpy())),
        "Order ID": _select([feature == GOFOOD_F, feature == GOSHOP_F],
                            [_cat(quote, "F-", order_no), _cat(quote, "GS-", order_no)], ""),
        "Stan": _where(feature == GOPAY_F, _join_chars([_digits(rows["stan"].to_numpy(), 6)], n), ""),
        "Amount": amount_text,
        "Nett Amount": money(amount - commission - tax),
        "Transaction Status": _pick(STATUS_NAMES, status),
        "Feature": _pick(GOBIZ_FEATURES, feature),
        "Payment Type": _pick(PAYMENT_NAMES, rows["payment"].to_numpy()),
        "Merchant name": _take(gobiz.name, merchant),
        "Merchant ID": _cat(quote, _take(gobiz.merchant_id, merchant)),
        "Promo Type": _pick(["", "Discount", "Voucher"], promo),
        "Promo Name": _pick(["", "Promo Banner UMKM Jateng", "Diskon Ongkir"], promo),
        "Gopay promo": money(rows["gopay_promo"].to_numpy()),
        "GoFood discount": money(rows["discount"].to_numpy()),
        "Voucher commission": money(commission),
        "Tax": money(tax),
        "Witholding tax": _const("0", n),
        "Currency": _const("IDR", n),
    }
    return {c: table[c] for c in GOBIZ_COLUMNS}


def _gobiz_report(gobiz: _GoBiz, rows: pd.DataFrame, style: dict, pending_after: int | None = None,
                  bom: bool = True) -> bytes:
    return _csv_bytes(_gobiz_frame(gobiz, rows, style, pending_after), bom=style["bom"] and bom)


def _gobiz_style(rng) -> dict:
    return {"bom": rng.random() < 0.8, "apostrophe": rng.random() < 0.35, "comma": rng.random() < 0.5,
            "millis": rng.random() < 0.5}


def _write_gofood(out: _Landing, world: _World) -> None:
    gobiz = _GoBiz(world)
    out.count("gofood", transactions=gobiz.transactions, merchants=len(gobiz.gid))
    (_write_gobiz_feed if world.province else _write_gobiz_accounts)(out, world, gobiz)


def _write_gobiz_accounts(out: _Landing, world: _World, gobiz: _GoBiz) -> None:
    """A pilot: every merchant-group account downloads its monthly report, a month at a time."""
    rng = world.rng("gobiz-files")
    n_groups = _gobiz_groups(world.scale)
    styles = [_gobiz_style(rng) for _ in range(n_groups)]

    def name(group: int, lo_day: int, hi_day: int, suffix: str = "") -> str:
        return f"gofood/gobiz_grp{group + 1:02d}_transactions_{_ymd(lo_day)}_{_ymd(hi_day)}{suffix}.csv"

    daily_group = 2 % n_groups                     # grp03 downloads daily reports in December
    for mo in range(1, 13):
        lo, hi = _day(2021, mo, 1), _day(2021 + mo // 12, mo % 12 + 1, 1) - 1
        block = pd.concat([gobiz.day(d - GOBIZ_FIRST_DAY) for d in range(lo, hi + 1)], ignore_index=True)
        block = block.sort_values("group", kind="stable").reset_index(drop=True)   # (group, day, time)
        key = block["group"].to_numpy() * 1000 + block["day"].to_numpy()

        def rows_for(group: int, lo_day: int, hi_day: int, block=block, key=key) -> pd.DataFrame:
            """Transactions of a group whose WIB date is in [lo_day, hi_day] (days since the epoch)."""
            a = np.searchsorted(key, group * 1000 + lo_day - GOBIZ_FIRST_DAY, side="left")
            b = np.searchsorted(key, group * 1000 + hi_day - GOBIZ_FIRST_DAY, side="right")
            return block.iloc[a:b]

        for group in range(n_groups):
            style = styles[group]
            when = (hi + 1 + group % 4 + 1) * DAY - WIB + 8 * 3600 + group * 7 * 60  # days after month end, 08:xx
            rows = rows_for(group, lo, hi)
            if group == daily_group and mo == 12:
                for day in range(lo, hi + 1):
                    day_rows = rows_for(group, day, day)
                    # reports for the last days were pulled early: late rows still pending
                    pending_after = (day + 1) * DAY - WIB - 6 * 3600 if day >= hi - 2 else None
                    out.put(name(group, day, day), _gobiz_report(gobiz, day_rows, style, pending_after),
                            (day + 1) * DAY - WIB + 6 * 3600 + 30 * 60, len(day_rows))
                rerun_rows = rows_for(group, hi - 2, hi)
                out.put(name(group, hi - 2, hi, "_rerun"), _gobiz_report(gobiz, rerun_rows, style),
                        _at(2022, 1, 5, 10, 0), len(rerun_rows), kind="rerun")
                continue
            if group == 0 and mo == 6:
                # pulled right at month end, re-run two weeks later: pending rows have settled
                out.put(name(group, lo, hi), _gobiz_report(gobiz, rows, style, (hi + 1) * DAY - WIB - 20 * 3600),
                        (hi + 1) * DAY - WIB + 3600, len(rows))
                out.put(name(group, lo, hi, "_rerun"), _gobiz_report(gobiz, rows, style), _at(2021, 7, 15, 9, 30),
                        len(rows), kind="rerun")
                continue
            if group == 4 % n_groups and mo == 10:
                # a failed download (empty file), downloaded again a few minutes later
                out.put(name(group, lo, hi), b"", when, 0, kind="broken")
                out.put(name(group, lo, hi, " (1)"), _gobiz_report(gobiz, rows, style), when + 20 * 60, len(rows))
                continue
            if group == 3 % n_groups and mo == 8:
                # two half-month reports pasted into one file: the header row repeats inside
                half = len(rows) // 2
                data = (_gobiz_report(gobiz, rows.iloc[:half], style)
                        + _gobiz_report(gobiz, rows.iloc[half:], style, bom=False))
                out.put(name(group, lo, hi), data, when, len(rows), kind="repeated_header")
                continue
            data = _gobiz_report(gobiz, rows, style)
            out.put(name(group, lo, hi), data, when, len(rows))
            if group == 1 % n_groups and mo == 5:
                # the same report delivered twice: identical bytes under the browser's copy name
                out.put(name(group, lo, hi, " (1)"), data, when + 3 * 60, len(rows), kind="duplicate")
            if group == 1 % n_groups and mo == 2:
                # a payout export of the same month: 'Gross Amount' instead of 'Amount' -> quarantined
                _put_payout(out, gobiz, rows, style, f"gofood/gobiz_grp{group + 1:02d}_payout_20210201_20210228.csv",
                            when + DAY)
            if group == 5 % n_groups and mo == 12:
                # a download still in progress: a temporary name, never read
                out.put(name(group, lo, hi) + ".part", data[: len(data) * 2 // 5], _at(2022, 1, 3, 8, 0),
                        kind="ignored")


def _put_payout(out: _Landing, gobiz: _GoBiz, rows: pd.DataFrame, style: dict, path: str, when: int) -> None:
    table = _gobiz_frame(gobiz, rows, style)
    table = {("Gross Amount" if c == "Amount" else c): values for c, values in table.items()}
    out.put(path, _csv_bytes(table, bom=True), when, len(rows), kind="broken")


def _feed_name(day: int, last_day: int | None = None, suffix: str = "") -> str:
    return f"gofood/gobiz_jateng_transactions_{_ymd(day)}_{_ymd(day if last_day is None else last_day)}{suffix}.csv"


def _feed_styles(world: _World) -> list[dict]:
    """The province feed's CSV style, month by month (2021 and January 2022): GoBiz changes it now and then."""
    rng = world.rng("gobiz-feed")
    return [_gobiz_style(rng) for _ in range(13)]


def _feed_delivery(day: int) -> int:
    return (day + 1) * DAY - WIB + 6 * 3600 + 30 * 60          # 06:30 WIB the next morning


def _write_gobiz_feed(out: _Landing, world: _World, gobiz: _GoBiz) -> None:
    """The province: one report a day of all program merchants, a day at a time."""
    styles = _feed_styles(world)
    last_days = []
    for d in range(GOBIZ_DAYS):
        day = GOBIZ_FIRST_DAY + d
        rows = gobiz.day(d)
        style = styles[int(_month_index(day)) - int(_month_index(GOBIZ_FIRST_DAY))]
        when, name = _feed_delivery(day), _feed_name(day)
        if day == _day(2021, 6, 30):
            # pulled the same evening, re-run two weeks later: pending rows have settled
            out.put(name, _gobiz_report(gobiz, rows, style, (day + 1) * DAY - WIB - 20 * 3600),
                    (day + 1) * DAY - WIB - 3 * 3600, len(rows))
            out.put(_feed_name(day, suffix="_rerun"), _gobiz_report(gobiz, rows, style), _at(2021, 7, 15, 9, 30),
                    len(rows), kind="rerun")
            continue
        if day == _day(2021, 10, 15):
            # a failed download (empty file), downloaded again a few minutes later
            out.put(name, b"", when, 0, kind="broken")
            out.put(_feed_name(day, suffix=" (1)"), _gobiz_report(gobiz, rows, style), when + 20 * 60, len(rows))
            continue
        if day == _day(2021, 8, 14):
            # the morning and afternoon halves pasted into one file: the header row repeats inside
            half = len(rows) // 2
            data = (_gobiz_report(gobiz, rows.iloc[:half], style)
                    + _gobiz_report(gobiz, rows.iloc[half:], style, bom=False))
            out.put(name, data, when, len(rows), kind="repeated_header")
            continue
        last_three = day >= GOBIZ_FIRST_DAY + GOBIZ_DAYS - 3
        if last_three:  # the year's last reports were pulled early: late rows still pending
            last_days.append(rows)
        data = _gobiz_report(gobiz, rows, style, (day + 1) * DAY - WIB - 6 * 3600 if last_three else None)
        out.put(name, data, when, len(rows))
        if day == _day(2021, 5, 10):
            # the same report delivered twice: identical bytes under the browser's copy name
            out.put(_feed_name(day, suffix=" (1)"), data, when + 3 * 60, len(rows), kind="duplicate")
        if day == _day(2021, 2, 15):
            # a payout export of the same day: 'Gross Amount' instead of 'Amount' -> quarantined
            _put_payout(out, gobiz, rows, style, f"gofood/gobiz_jateng_payout_{_ymd(day)}_{_ymd(day)}.csv", when + DAY)
        if day == GOBIZ_FIRST_DAY + GOBIZ_DAYS - 1:
            # a download still in progress: a temporary name, never read
            out.put(name + ".part", data[: len(data) * 2 // 5], when - 10 * 60, kind="ignored")
    rerun = pd.concat(last_days, ignore_index=True)
    first = GOBIZ_FIRST_DAY + GOBIZ_DAYS - 3
    out.put(_feed_name(first, first + 2, "_rerun"), _gobiz_report(gobiz, rerun, styles[11]),
            _at(2022, 1, 5, 10, 0), len(rerun), kind="rerun")
