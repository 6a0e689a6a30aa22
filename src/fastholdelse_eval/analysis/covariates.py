"""Covariate design columns for the adjusted Cox models (see
:mod:`fastholdelse_eval.analysis.durations`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.messages import message


def covariate_design(
    data: pd.DataFrame, covariates: Sequence[str]
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Design columns for named covariates: ``(matrix, column names, complete-row mask)``.

    Numeric → as is; boolean → 0/1; other → dummies ``name=level`` for every level but the
    first (reference: the categorical's first category, else the first in sorted order).
    """
    missing = [c for c in covariates if c not in data.columns]
    if missing:
        raise ConfigError(message("cov_not_columns", name="covariates", columns=", ".join(missing)))
    cols: list[np.ndarray] = []
    names: list[str] = []
    complete = np.ones(len(data), dtype=bool)
    for name in covariates:
        s = data[name]
        known = s.notna().to_numpy().copy()
        if pd.api.types.is_bool_dtype(s.dtype):
            cols.append(s.astype("float64").to_numpy(na_value=np.nan))
            names.append(name)
        elif pd.api.types.is_numeric_dtype(s.dtype):
            values = s.astype("float64").to_numpy(na_value=np.nan)
            known &= np.isfinite(values)
            cols.append(values)
            names.append(name)
        else:
            if isinstance(s.dtype, pd.CategoricalDtype):
                # Only the categories some person has (the persons of one municipality leave
                # the others' unused, and a column of zeros has no estimate); compared on codes.
                s = s.cat.remove_unused_categories()
                codes = s.cat.codes.to_numpy()
                levels = [str(v) for v in s.cat.categories]
                for k, level in enumerate(levels[1:], start=1):
                    cols.append((codes == k).astype("float64"))
                    names.append(f"{name}={level}")
                complete &= known
                continue
            text = s.astype("string").str.strip()
            known &= (text != "").fillna(False).to_numpy(dtype=bool)
            levels = sorted(text[known].unique().tolist())
            values = text.to_numpy(dtype=object, na_value=None)
            for level in levels[1:]:
                cols.append((values == level).astype("float64"))
                names.append(f"{name}={level}")
        complete &= known
    matrix = np.column_stack(cols) if cols else np.empty((len(data), 0))
    return matrix, names, complete
