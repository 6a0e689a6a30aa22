"""Synthetic frames as files: counts per municipality × group, and Danish-Excel CSV.

Shared by :mod:`~fastholdelse_eval.data.simulate` and :mod:`~fastholdelse_eval.data.sample_sites`
(kept apart from both so that neither has to import the other).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fastholdelse_eval.core.files import atomic_write


def aggregate_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts per municipality × group from a canonical person-level frame (the aggregate
    file's English columns)."""
    f = frame.assign(
        n=1,
        rtw=frame["end_reason"].eq("rtw"),
        partial_rtw=frame["partial_rtw_date"].notna(),
        relapse=frame["relapse_date"].notna() & frame["end_reason"].eq("rtw"),
        dropout=frame["end_reason"].eq("dropout"),
        other_benefit=frame["end_reason"].eq("other_benefit"),
        active_offer=frame["active_offer"].astype(bool),
    )
    cols = ["n", "rtw", "partial_rtw", "relapse", "dropout", "other_benefit", "active_offer"]
    out = f.groupby(["municipality", "group"], sort=False)[cols].sum().reset_index()
    return out.astype({c: "int64" for c in cols})


# Danish spellings used when writing files the way a municipal analyst would have them.
DANISH_COLUMNS = {
    "person_id": "borger_id", "group": "gruppe", "municipality": "kommune",
    "start_date": "startdato", "end_date": "slutdato", "end_detail": "afslutningsårsag",
    "partial_rtw_date": "delvis_raskmeldt_dato", "relapse_date": "tilbagefald_dato",
    "followup_date": "opfølgningsdato", "active_offer": "aktivt_tilbud", "age": "alder",
    "sex": "køn", "diagnosis": "diagnose", "has_employer": "arbejdsgiver",
}
DANISH_AGGREGATE = {
    "municipality": "kommune", "group": "gruppe", "n": "antal", "rtw": "raskmeldt",
    "partial_rtw": "delvis_raskmeldt", "relapse": "tilbagefald", "dropout": "stoppet",
    "other_benefit": "anden_ydelse", "active_offer": "aktivt_tilbud",
}


def to_danish(frame: pd.DataFrame) -> pd.DataFrame:
    """Person-level frame as a Danish spreadsheet: Danish headers and labels, dd-mm-yyyy."""
    out = frame.drop(columns=["end_reason"]).copy()
    for col in ("start_date", "end_date", "partial_rtw_date", "relapse_date", "followup_date"):
        out[col] = pd.to_datetime(out[col]).dt.strftime("%d-%m-%Y").fillna("")
    out["group"] = out["group"].map({"intervention": "deltager", "control": "kontrol"})
    out["active_offer"] = np.where(out["active_offer"].astype(bool), "ja", "nej")
    return out.rename(columns=DANISH_COLUMNS)


def write_danish_csv(frame: pd.DataFrame, path: str | Path, *, aggregate: bool = False) -> None:
    """Write as Danish Excel saves CSV: ``;`` separated, UTF-8 with BOM."""
    out = frame.rename(columns=DANISH_AGGREGATE) if aggregate else to_danish(frame)
    if aggregate:
        out["gruppe"] = out["gruppe"].map({"intervention": "deltager", "control": "kontrol"})
    atomic_write(path, out.to_csv(sep=";", index=False, lineterminator="\n"),
                 encoding="utf-8-sig")
