"""The UMKM key: a salted SHA-256 of the normalised NIK, else of the NIB (data contract 4).

The same owner gets the same key in the survey and the enrollment registry, and the key
cannot be turned back into a NIK without the salt, which lives only in the environment.
"""

from __future__ import annotations

import hashlib

import pyarrow as pa
import pyarrow.compute as pc


def umkm_key(nik: str | None, nib: str | None, salt: str) -> str | None:
    if nik:
        return _digest(salt, f"nik|{nik}")
    if nib:
        return _digest(salt, f"nib|{nib}")
    return None


def _digest(salt: str, material: str) -> str:
    return hashlib.sha256(f"{salt}|{material}".encode()).hexdigest()[:32]


def umkm_keys(nik: pa.Array | pa.ChunkedArray, nib: pa.Array | pa.ChunkedArray, salt: str) -> pa.Array:
    """`umkm_key` of every row, hashing each distinct NIK (else NIB) once."""
    use_nik = pc.fill_null(pc.not_equal(nik, ""), False)
    use_nib = pc.and_(pc.invert(use_nik), pc.fill_null(pc.not_equal(nib, ""), False))
    material = pc.if_else(use_nik, pc.binary_join_element_wise("nik", nik, "|"),
                          pc.if_else(use_nib, pc.binary_join_element_wise("nib", nib, "|"),
                                     pa.scalar(None, pa.string())))
    distinct = pc.unique(material).drop_null()
    keys = pa.array([_digest(salt, material) for material in distinct.to_pylist()], pa.string())
    return keys.take(pc.index_in(material, value_set=distinct))
