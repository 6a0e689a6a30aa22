"""Which municipalities the pooled ``all`` rows may include.

A municipality with persons in only one arm (no control rows, or no intervention rows) adds to
one side of a pooled comparison only: pooled into ``all`` it would shift that arm's rate by the
site's own level, not by the intervention. Such sites keep their own rows (one arm's rates) and
are left out of ``all``, with a note naming them (municipality names are not personal).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fastholdelse_eval.core.errors import safe_name
from fastholdelse_eval.data.localize import Message, message

ARMS = ("intervention", "control")


def one_armed_sites(municipality: pd.Series, group: pd.Series) -> list[str]:
    """Municipalities lacking one of the two arms, in order of appearance."""
    # A Categorical factorises by its codes: no text per person.
    codes, sites = pd.factorize(municipality, use_na_sentinel=False)
    has_arm = [np.bincount(codes[(group == arm).to_numpy(dtype=bool)], minlength=len(sites)) > 0
               for arm in ARMS]
    return [str(m) for m, both in zip(sites, np.logical_and(*has_arm), strict=True) if not both]


def pooled_mask(municipality: pd.Series, group: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Rows that the pooled ``all`` rows use, and the sites left out (only when there are
    several sites: a single site's rows are its own)."""
    sites = pd.unique(municipality)
    left_out = one_armed_sites(municipality, group) if len(sites) > 1 else []
    if not left_out or len(left_out) == len(sites):
        # None one-armed, or all of them: pooling changes nothing a comparison could use.
        return np.ones(len(municipality), dtype=bool), []
    return ~municipality.isin(left_out).to_numpy(dtype=bool), left_out


def left_out_note(left_out: list[str]) -> Message:
    return message("note_left_out_one_arm", n=len(left_out),
                   names=", ".join(safe_name(m, 40) for m in left_out))
