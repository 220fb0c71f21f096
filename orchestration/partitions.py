"""One dynamic partition per landing file version: `<landing path>@<first 16 hex of sha256>`."""

import dagster as dg

landing_files = dg.DynamicPartitionsDefinition(name="landing_files")
SHA_CHARS = 16


def partition_key(path: str, sha256: str) -> str:
    return f"{path}@{sha256[:SHA_CHARS]}"


def path_of(key: str) -> str:
    return key.rsplit("@", 1)[0]


def run_key_of(keys: list[str]) -> str:
    """Dagster starts one run per run_key, ever: the same file versions never start a run twice."""
    import hashlib

    return "landing:" + hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:32]
