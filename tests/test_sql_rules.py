"""The SQL translation of the row-level expectations (`quality.sql_rules`) counts what GX counts.

The property test builds random tables (nulls, NaN and infinities, bounds and their neighbours,
the seeds' values and near misses, unicode, trailing newlines, dates at the bounds) with the
column types the suites' projections have, and validates every distinct row-level expectation
of `quality.suites` (plus `mostly`, strict bounds and the other `ignore_row_if` modes) twice:
GX on the whole frame, as the pandas engine does, and the SQL rules in DuckDB. Statistics,
success and the very rows found unexpected must be equal.
"""

from __future__ import annotations

import glob
import itertools
import math
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ingest.raw_schema import create_raw_schema
from quality import suites
from quality.gx_run import gx_context, run_suite
from quality.projection import _arrow, count_in_sql, sql_rules, to_frame
from quality.rules import DATE_MIN, Expect, Suite, resolve
from quality.sql_rules import NotTranslatable, count_query, kind_of, re2_pattern, statistics, tally, translate

TODAY = date(2022, 6, 30)
MARTS_DIR = Path(__file__).resolve().parents[1] / "dbt_project" / "models" / "marts"
ROW_LEVEL = {"ExpectColumnValuesToNotBeNull", "ExpectColumnValuesToBeInSet", "ExpectColumnValuesToNotBeInSet",
             "ExpectColumnValuesToBeBetween", "ExpectColumnValuesToMatchRegex",
             "ExpectColumnPairValuesAToBeGreaterThanB", "ExpectColumnPairValuesToBeEqual"}
ARROW = {"VARCHAR": pa.string(), "DOUBLE": pa.float64(), "BIGINT": pa.int64(), "INTEGER": pa.int32(),
         "DATE": pa.date32(), "BOOLEAN": pa.bool_()}


def typed_warehouse() -> duckdb.DuckDBPyConnection:
    """The raw schema, and empty marts with the column types of their dbt contracts."""
    con = duckdb.connect()
    create_raw_schema(con)
    con.execute("create schema marts")
    for path in glob.glob(str(MARTS_DIR / "**" / "_*__models.yml"), recursive=True):
        for model in yaml.safe_load(Path(path).read_text())["models"]:
            columns = model.get("columns") or []
            if columns and all("data_type" in c for c in columns):
                con.execute(f"create table marts.{model['name']} "
                            f"({', '.join(c['name'] + ' ' + c['data_type'] for c in columns)})")
    return con


def suite_column_types() -> dict[str, dict[str, str]]:
    """{suite name: {column: DuckDB type}} of every suite whose projection binds on `typed_warehouse`."""
    con = typed_warehouse()
    found = {}
    for target in suites.ALL_TARGETS:
        for suite in target.suites:
            try:
                relation = con.sql(suite.query())
            except duckdb.Error:      # reads an intermediate table
                continue
            found[suite.name] = dict(zip(relation.columns, map(str, relation.types)))
    con.close()
    return found


# ---------------------------------------------------------------- the cases: every row-level kind of the suites

def _cases() -> list[Expect]:
    """Every distinct row-level expectation of the suites, on generic columns of its types
    (`<TYPE>_a`, and `<TYPE>_b` for column B of a pair), plus the GX arguments the suites do
    not use yet but the translation supports."""
    types = suite_column_types()
    cases, seen = [], set()
    for target in suites.ALL_TARGETS:
        for suite in target.suites:
            for expect in suite.expectations:
                column_types = types.get(suite.name, {})
                if expect.type not in ROW_LEVEL or any(column_types.get(c) not in ARROW for c in expect.columns):
                    continue
                kwargs = dict(expect.kwargs)
                for key, suffix in (("column", "a"), ("column_A", "a"), ("column_B", "b")):
                    if key in kwargs:
                        kwargs[key] = f"{column_types[kwargs[key]]}_{suffix}"
                signature = (expect.type, repr(sorted(kwargs.items())))
                if signature not in seen:
                    seen.add(signature)
                    cases.append(Expect(expect.type, "error", "case", kwargs))
    cases += [
        Expect("ExpectColumnValuesToNotBeNull", "error", "mostly", {"column": "DOUBLE_a", "mostly": 0.5}),
        Expect("ExpectColumnValuesToBeBetween", "error", "strict", {"column": "DOUBLE_a", "min_value": 0,
                                                                    "max_value": 1, "strict_min": True,
                                                                    "strict_max": True, "mostly": 0.75}),
        Expect("ExpectColumnValuesToBeBetween", "error", "int vs float", {"column": "BIGINT_a", "min_value": 0.5}),
        Expect("ExpectColumnValuesToBeInSet", "error", "mostly", {"column": "VARCHAR_a", "value_set": ["a", "b"],
                                                                 "mostly": 0.3}),
        Expect("ExpectColumnValuesToBeInSet", "error", "numbers", {"column": "DOUBLE_a", "value_set": [0, 1, 0.05]}),
        Expect("ExpectColumnValuesToBeInSet", "error", "empty set", {"column": "VARCHAR_a", "value_set": []}),
        Expect("ExpectColumnPairValuesAToBeGreaterThanB", "error", "strict, both missing",
               {"column_A": "DOUBLE_a", "column_B": "BIGINT_b", "ignore_row_if": "both_values_are_missing",
                "mostly": 0.6}),
        Expect("ExpectColumnPairValuesToBeEqual", "error", "counts", {"column_A": "BIGINT_a", "column_B": "BIGINT_b",
                                                                     "ignore_row_if": "neither"}),
        Expect("ExpectColumnPairValuesToBeEqual", "error", "either missing",
               {"column_A": "DATE_a", "column_B": "DATE_b", "ignore_row_if": "either_value_is_missing"}),
    ]
    return cases


CASES = _cases()
COLUMNS = sorted({c for case in CASES for c in case.columns})


def _near(value):
    if isinstance(value, float):
        return [value, math.nextafter(value, -math.inf), math.nextafter(value, math.inf), value - 1, value + 1]
    return [value, value - 1, value + 1]


def _edges(column_type: str) -> list:
    """The values worth trying in a column of this type: the suites' bounds and set members and
    their neighbours, nulls, NaN, extremes."""
    kinds = [c for c in CASES if any(col.startswith(column_type + "_") for col in c.columns)]
    if column_type in ("DOUBLE", "BIGINT", "INTEGER"):
        bounds = {resolve(c.kwargs.get(k), TODAY) for c in kinds for k in ("min_value", "max_value")} - {None}
        bounds |= {v for c in kinds for v in c.kwargs.get("value_set") or []}
        values = [None, 0, -1, 2 ** 53 + 1]
        for bound in sorted(bounds, key=float):
            values += _near(float(bound) if column_type == "DOUBLE" else int(bound))
        if column_type == "DOUBLE":
            values = [float(v) if v is not None else None for v in values]
            values += [math.nan, math.inf, -math.inf, -0.0, 0.049999999999999996, 1e308]
        limit = 2 ** 31 if column_type == "INTEGER" else 2 ** 63
        return [v for v in values if v is None or isinstance(v, float) or -limit <= v < limit]
    if column_type == "DATE":
        return [None, date(1900, 1, 1), date(9999, 12, 31), date(2262, 4, 12),
                *(DATE_MIN + timedelta(days=d) for d in (-1, 0, 1)),
                *(TODAY + timedelta(days=d) for d in (-1, 0, 1, 2))]
    if column_type == "BOOLEAN":
        return [None, True, False]
    members = sorted({v for c in kinds for v in c.kwargs.get("value_set") or [] if isinstance(v, str)})
    near_misses = [m for v in members[:12] for m in (v.upper(), v + " ", " " + v, v + "\n")]
    return [None, "", " ", "\n", *members, *near_misses, "2021-03", "2021-13", "2021-00", "2021-03\n",
            "2021-03\n\n", "x2021-03", "٢٠٢١-٠٣", "2021-０３", "SG", "sg", "SGD", "S", "ID\n", "ＩＤ", "İD",
            "0123456789abcdef0123456789abcdef", "0123456789ABCDEF0123456789ABCDEF",
            "0123456789abcdef0123456789abcdef\n", "é", "\x00", "a\x00b", "😀"]


def _strategy(column_type: str):
    edges = st.sampled_from(_edges(column_type))
    other = {"VARCHAR": st.text(max_size=8),
             "DOUBLE": st.floats(allow_nan=True, allow_infinity=True),
             "BIGINT": st.integers(-(2 ** 63), 2 ** 63 - 1),
             "INTEGER": st.integers(-(2 ** 31), 2 ** 31 - 1),
             "DATE": st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
             "BOOLEAN": st.booleans()}[column_type]
    return st.one_of(edges, edges, other)


def _type(column: str) -> str:
    return column.rsplit("_", 1)[0]


ROWS = st.lists(st.fixed_dictionaries({c: _strategy(_type(c)) for c in COLUMNS}), max_size=12)
# every edge value at least once, whatever Hypothesis draws
EDGE_ROWS = [dict(zip(COLUMNS, values)) for values in itertools.zip_longest(
    *(_edges(_type(c)) for c in COLUMNS))]

_gx = {}


def _gx_context():
    """One GX context for the examples of a run (GX keeps its current project in a global:
    another test's validation replaces it, and then this one is built again)."""
    from great_expectations.data_context.data_context.context_factory import project_manager

    try:
        current = project_manager.get_current_project()
    except Exception:   # no project at all
        current = None
    if not _gx or current is not _gx["context"]:
        _gx.clear()
        _gx["context"] = gx_context()
        _gx["source"] = _gx["context"].data_sources.add_pandas("property")
        _gx["n"] = 0
    _gx["n"] += 1
    return _gx["context"], _gx["source"], f"property_{_gx['n']}"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@example(rows=EDGE_ROWS)
@example(rows=[])
@given(rows=ROWS)
def test_sql_counts_equal_gx_counts(rows):
    table = pa.table({"_rowid": pa.array(range(len(rows)), pa.int64()),
                      **{c: pa.array([r[c] for r in rows], ARROW[_type(c)]) for c in COLUMNS}})
    con = duckdb.connect()
    con.register("t", table)
    relation = con.sql("select * from t")
    kinds = {name: kind_of(kind) for name, kind in zip(relation.columns, relation.types)}
    rules = [translate(case, kinds, TODAY) for case in CASES]
    counts = tally(_arrow(con.sql(count_query("select * from t", relation.columns, rules, 3, "_rowid"))),
                   len(rules), "_rowid")
    flagged = [{row[0] for row in con.execute(f"select _rowid from t where {rule.unexpected}").fetchall()}
               for rule in rules]
    frame = to_frame(_arrow(con.sql("select * from t")))
    con.close()

    context, source, name = _gx_context()
    validation, positions = run_suite(context, source, Suite(name, "", tuple(CASES)), frame, TODAY, 1000)
    assert len(validation.results) == len(CASES)
    for result in validation.results:
        i = positions[result.expectation_config.id]
        case, rule = CASES[i], rules[i]
        assert not (result.exception_info or {}).get("raised_exception"), (case, result.exception_info)
        success, stats = statistics(rule, counts.element_count, counts.ignored[i], counts.unexpected[i])
        found = {key: result.result.get(key) for key in stats}
        assert (result.success, found) == (success, stats), (case, rule, frame)
        assert set(result.result.get("partial_unexpected_index_list") or []) == flagged[i], (case, rule, frame)
        assert {r for r in counts.samples.column("_rowid").to_pylist() if r in flagged[i]} >= \
            set(sorted(flagged[i])[:3])                                         # the first three, at least


# ---------------------------------------------------------------- which suites take the SQL path

def test_every_row_level_suite_of_the_big_tables_is_counted_in_sql():
    con = typed_warehouse()
    translated = set()
    for target in suites.ALL_TARGETS:
        for suite in target.suites:
            try:
                relation = con.sql(suite.query())
            except duckdb.Error:
                continue
            rules = sql_rules(suite, relation, TODAY)
            row_level = all(e.type in ROW_LEVEL for e in suite.expectations)
            if rules:
                translated.add(suite.name)
                assert row_level
    expected = {f"raw.{t}" for t in ("survey_submissions", "enrollments", "gofood_transactions",
                                     "shopee_order_lines", "uvo_transactions", "landing_files")}
    assert expected | {"marts.fct_orders", "marts.dim_umkm"} <= translated
    assert not any(name.endswith(".columns") for name in translated)    # table-level: GX, whole


def test_unsupported_arguments_and_types_go_to_gx_whole():
    kinds = {"s": "text", "x": "float", "d": "time", "b": "bool", "n": None}
    refused = [
        Expect("ExpectColumnValuesToBeBetween", "error", "", {"column": "s", "min_value": "a"}),
        Expect("ExpectColumnValuesToBeInSet", "error", "", {"column": "s", "value_set": [1]}),
        Expect("ExpectColumnValuesToBeInSet", "error", "", {"column": "b", "value_set": [1]}),
        Expect("ExpectColumnValuesToBeInSet", "error", "", {"column": "d", "value_set": ["2021-01-01"]}),
        Expect("ExpectColumnValuesToNotBeNull", "error", "", {"column": "n"}),
        Expect("ExpectColumnValuesToNotBeNull", "error", "", {"column": "missing"}),
        Expect("ExpectColumnValuesToBeBetween", "error", "", {"column": "x", "min_value": 2, "max_value": 1}),
        Expect("ExpectColumnValuesToBeBetween", "error", "", {"column": "x", "max_value": math.inf}),
        Expect("ExpectColumnValuesToMatchRegex", "error", "", {"column": "x", "regex": "1"}),
        Expect("ExpectColumnValuesToBeInSet", "error", "", {"column": "s", "value_set": ["a"],
                                                            "row_condition": 'col("s")=="a"'}),
        Expect("ExpectColumnPairValuesToBeEqual", "error", "", {"column_A": "s", "column_B": "s"}),
        Expect("ExpectColumnPairValuesToBeEqual", "error", "", {"column_A": "x", "column_B": "d"}),
        Expect("ExpectTableRowCountToEqual", "error", "", {"value": 1}),
        Expect("ExpectColumnValuesToBeUnique", "error", "", {"column": "s"}),
    ]
    for expect in refused:
        with pytest.raises(NotTranslatable):
            translate(expect, kinds, TODAY)


@pytest.mark.parametrize("regex, re2", [
    (r"^20[0-9][0-9]-(?:0[1-9]|1[0-2])$", "^20[0-9][0-9]-(?:0[1-9]|1[0-2])\\n?$"),
    (r"^[A-Z]{2}$", "^[A-Z]{2}\\n?$"),
    (r"a\.b[\]$x]+$", "a\\.b[\\]$x]+\\n?$"),
    (r"^(ab|c.)*?d{2,}", r"^(ab|c.)*?d{2,}"),
])
def test_regex_translation(regex, re2):
    assert re2_pattern(regex) == re2


@pytest.mark.parametrize("regex", [r"\d", r"[\w]", r"\s", r"\bA", r"(?i)a", r"(?=a)", r"(a)\1", r"a\Z", r"\u00e9",
                                   r"a{,2}", r"a{x}", "[[:alpha:]]", r"[]a]", r"(?>a)", r"a*+"])
def test_regex_constructs_the_engines_read_differently_are_refused(regex):
    with pytest.raises(NotTranslatable):
        re2_pattern(regex)


def test_a_translation_gx_disagrees_with_fails_loudly(monkeypatch):
    """The guard: on the rows it is handed, GX must find what SQL found."""
    import quality.projection as projection
    from quality.sql_rules import SqlRule
    from quality.validate import validate_targets

    def wrong(expect, kinds, today):
        rule = translate(expect, kinds, today)
        if expect.type == "ExpectColumnValuesToBeInSet" and expect.kwargs["column"] == "currency":
            return SqlRule(rule.expect, rule.flavor, rule.ignored, "currency is not null")   # every row "fails"
        return rule

    con = duckdb.connect()
    create_raw_schema(con)
    con.execute("insert into raw.gofood_transactions (landing_path, sha256, row_number, file_landed_at, loaded_at, "
                "transaction_id, merchant_id, transaction_status, currency, amount, nett_amount, "
                "transaction_date_wib) values ('g.csv', 'v1', 1, now(), now(), 'T1', 'G-A', 'settlement', 'IDR', "
                "100000, 90000, date '2021-09-05')")
    assert count_in_sql(con, suites.GOFOOD.suites[1], TODAY, 5) is not None
    monkeypatch.setattr(projection, "translate", wrong)
    [result] = validate_targets(con, [suites.GOFOOD], today=TODAY)
    [outcome] = [o for o in result.outcomes if o.rule == "expect_column_values_to_be_in_set(currency)"]
    assert not outcome.success and "SQL translation and GX disagree" in outcome.error
