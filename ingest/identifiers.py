"""The UMKM key: a salted SHA-256 of the normalised NIK, else of the NIB (data contract 4).

The same owner gets the same key in the survey and the enrollment registry, and the key
cannot be turned back into a NIK without the salt, which lives only in the environment.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd


def umkm_key(nik: str | None, nib: str | None, salt: str) -> str | None:
    if nik:
        material = f"{salt}|nik|{nik}"
    elif nib:
        material = f"{salt}|nib|{nib}"
    else:
        return None
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def umkm_keys(nik: pd.Series, nib: pd.Series, salt: str) -> np.ndarray:
    """Vectorised over distinct (nik, nib) pairs."""
    pairs = pd.Series(list(zip(nik, nib)), dtype=object)
    codes, uniques = pd.factorize(pairs, use_na_sentinel=False)
    keys = np.array([umkm_key(n, b, salt) for n, b in uniques], dtype=object)
    return keys[codes]
