"""A synthetic progression file for a synthetic cohort: WHO-5 answers on irregular dates.

Every person and answer here is made up. For each person of the cohort (e.g. the synthetic
Greve 2009 sample), a latent WHO-5 trajectory is drawn: baseline score ~ N(44, 14), a personal
slope ~ N(μ, 1.5) points per month with μ = 2.5 in the intervention group and 1.2 in the control
group, plus 1.5 for persons who returned to work (so that progression says something about
return to work), and measurement noise ~ N(0, 6). Measurements are planned at
the start and at weeks 13 and 26, taken on irregular dates (start −5…+10 days; visits ± ~10
days), with drop-out (13 % of intervention and 20 % of control persons miss week 13; 20 % and
28 % week 26; more among those no longer on benefit), 6 % with an extra measurement at week 6
(outside every window), and 2 % of measurements with one item unanswered (WHO-5 is then not
scored). A visit after the cohort's follow-up date is not taken. Items: five answers 0–5 whose
sum × 4 is close to the latent score.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fastholdelse_eval.core.files import atomic_write

DAYS_PER_MONTH = 365.25 / 12
DANISH_PROGRESSION = {"person_id": "borger_id", "date": "dato", "instrument": "instrument",
                      "item": "spørgsmål", "value": "værdi"}


def simulate_progression(cohort: pd.DataFrame, seed: int = 2009) -> pd.DataFrame:
    """Long WHO-5 item answers (``person_id, date, instrument, item, value``) for a canonical
    cohort frame (see the module docstring); the same seed gives the same rows."""
    rng = np.random.default_rng(seed)
    d = cohort.reset_index(drop=True)
    n = len(d)
    treated = (d["group"] == "intervention").to_numpy()
    start = pd.to_datetime(d["start_date"])
    end = pd.to_datetime(d["end_date"])
    weeks_to_end = ((end - start).dt.days / 7).to_numpy(dtype="float64")
    returned = (d["end_reason"] == "rtw").to_numpy()
    base = np.clip(rng.normal(44, 14, n), 4, 96)
    slope = rng.normal(np.where(treated, 2.5, 1.2) + 1.5 * returned, 1.5)
    followup = pd.to_datetime(d["followup_date"])

    plans = [(0, rng.integers(-5, 11, n), np.zeros(n, dtype=bool))]
    for weeks, (p_int, p_ctl) in ((13, (0.13, 0.20)), (26, (0.20, 0.28))):
        off = np.rint(rng.normal(0, 10, n)).astype(int)
        p = np.where(treated, p_int, p_ctl)
        left = np.nan_to_num(weeks_to_end, nan=1e9) < weeks
        missed = rng.uniform(size=n) < np.where(left, p + 0.10, p)
        plans.append((weeks * 7, off, missed))
    extra = rng.uniform(size=n) < 0.06
    plans.append((42, rng.integers(-3, 4, n), ~extra))

    frames = []
    for day0, off, missed in plans:
        day = day0 + off
        date = start + pd.to_timedelta(day, unit="D")
        take = ~missed & (date <= followup).to_numpy()
        latent = base + slope * day / DAYS_PER_MONTH + rng.normal(0, 6, n)
        # Five answers 0–5 whose sum × 4 is near the latent score (0–100).
        per_item = np.clip(latent, 0, 100) / 20.0
        items = np.clip(np.rint(per_item[:, None] + rng.normal(0, 0.7, (n, 5))), 0, 5)
        skip = rng.uniform(size=n) < 0.02
        skipped_item = rng.integers(0, 5, n)
        for k in range(5):
            keep = take & ~(skip & (skipped_item == k))
            frames.append(pd.DataFrame({
                "person_id": d["person_id"].to_numpy()[keep], "date": date.to_numpy()[keep],
                "instrument": "WHO-5", "item": str(k + 1),
                "value": items[keep, k].astype(int)}))
    out = pd.concat(frames, ignore_index=True)
    out = out.sort_values(["person_id", "date", "item"], kind="stable").reset_index(drop=True)
    return out


def write_progression_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write as Danish Excel saves CSV: ``;`` separated, UTF-8 with BOM, day-first dates."""
    out = frame.assign(date=pd.to_datetime(frame["date"]).dt.strftime("%d-%m-%Y"))
    out = out.rename(columns=DANISH_PROGRESSION)
    atomic_write(path, out.to_csv(sep=";", index=False, lineterminator="\n"),
                 encoding="utf-8-sig")
