"""Memory bounds of the pipeline's own processes (dbt's DuckDB limit is in profiles.yml).

The full build at ten million orders must stay under 4 GiB in all (issue 5), and `umkm run`
runs its steps one after another in one process while dbt runs in another.
"""

import ctypes
import gc

import pyarrow as pa

# DuckDB's default limit is 80% of RAM, and a connection keeps its buffer cache: one step could
# hold gigabytes the next one needs. Beyond this limit a query spills to a temporary file.
DUCKDB_CONFIG = {"memory_limit": "1GB"}
# The loader commits a batch of files at a time; at DuckDB's default threshold (16 MB of WAL)
# nearly every commit checkpointed, 12 of the 54 s of a 2.5 M-order load. It checkpoints when
# it closes. A crash loses nothing either way: a committed batch is in the WAL until then.
LOADER_DUCKDB_CONFIG = {**DUCKDB_CONFIG, "checkpoint_threshold": "1GB"}
# The publication runs alone (no parse workers, no dbt, no pandas frames), so it may take more:
# at ten million orders it took 26-28 s under 1 GB, against 19 s with no limit.
# Row order means nothing to a BI query: without it DuckDB writes the 10 M orders 3-4 s sooner.
SERVING_DUCKDB_CONFIG = {"memory_limit": "2GB", "preserve_insertion_order": False}

# Arrow's default pool (jemalloc) keeps what it freed for itself, out of reach of pandas and of
# `release_memory`; on the system allocator a step's Arrow buffers go back like the rest.
pa.set_memory_pool(pa.system_memory_pool())


def release_memory() -> None:
    """Give the heap a step freed back to the system: glibc keeps freed pandas/Arrow buffers
    otherwise, and the process would hold the check step's peak while dbt builds."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):   # not glibc: nothing to trim
        pass


def freeze_long_lived() -> None:
    """Leave every object alive now out of the garbage collector's full collections (gc.freeze).

    Called once the modules are imported: Dagster, dbt and GX leave some 500,000 objects that live
    as long as the process, and each full collection walked them all (0.2 s for every
    `release_memory`, and for each one Python starts by itself). Objects made later are collected
    as before."""
    gc.freeze()
