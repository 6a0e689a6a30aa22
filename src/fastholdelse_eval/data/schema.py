"""Canonical column names, their Danish spellings, and value vocabularies (DESIGN.md, "Inputs").

Matching is case-, whitespace-, ``_``/``-``/space- and æøå-insensitive: ``ø``≈``oe``,
``æ``≈``ae``, ``å``≈``aa``. :func:`normalize_label` is the single place that rule lives.
"""

from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s_\-]+")


def normalize_label(text: object) -> str:
    """Fold a name or value to its matching key: "Afslutnings-Årsag" → "afslutningsaarsag"."""
    s = str(text).strip().lower().lstrip("\ufeff")
    s = s.replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    # Other accents (é, ü) are folded to their base letter; Danish letters are handled above.
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    return _SEPARATORS.sub("", s)


# --- person-level cohort file -------------------------------------------------------------

# Column order of a validated cohort's data (canonical columns first, covariates after).
CANONICAL_COLUMNS = [
    "person_id",
    "group",
    "municipality",
    "start_date",
    "end_date",
    "end_reason",
    "end_detail",
    "partial_rtw_date",
    "relapse_date",
    "followup_date",
    "active_offer",
]

REQUIRED_COLUMNS = ("person_id", "group", "start_date")
DATE_COLUMNS = ("start_date", "end_date", "partial_rtw_date", "relapse_date", "followup_date")
KNOWN_COVARIATES = ("age", "sex", "diagnosis", "has_employer")

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "person_id": ("person_id", "id", "borger_id", "pseudonym"),
    "group": ("group", "gruppe"),
    "start_date": ("start_date", "startdato", "sygemeldingsdato"),
    "end_date": ("end_date", "slutdato", "ophørsdato"),
    "end_reason": ("end_reason", "afslutningsårsag", "årsag"),
    # Optional: the original label behind end_reason (fleksjob, self_support, …); by default
    # the end_reason cell as written.
    "end_detail": ("end_detail", "afslutningsdetalje"),
    "partial_rtw_date": ("partial_rtw_date", "delvis_raskmeldt_dato"),
    "relapse_date": ("relapse_date", "tilbagefald_dato"),
    "followup_date": ("followup_date", "opfølgningsdato"),
    "municipality": ("municipality", "kommune"),
    "active_offer": ("active_offer", "aktivt_tilbud"),
    "age": ("age", "alder"),
    "sex": ("sex", "køn"),
    "diagnosis": ("diagnosis", "diagnose"),
    "has_employer": ("has_employer", "arbejdsgiver"),
}

GROUP_VALUES: dict[str, tuple[str, ...]] = {
    "intervention": ("intervention", "deltager", "deltagergruppe", "indsats", "treatment", "1"),
    "control": ("control", "kontrol", "kontrolgruppe", "0"),
}

END_REASONS = ("rtw", "other_benefit", "dropout", "censored")
END_REASON_VALUES: dict[str, tuple[str, ...]] = {
    "rtw": ("rtw", "raskmeldt", "job", "return_to_work"),
    "other_benefit": (
        "other_benefit", "anden ydelse", "fleksjob", "revalidering", "ressourceforløb",
        "jobafklaring", "kontanthjælp", "pension", "førtidspension",
    ),
    "dropout": ("dropout", "stoppet", "manglende medvirken"),
    "censored": (
        "censored", "igangværende", "fortsat sygemeldt", "ongoing", "død", "fraflyttet",
    ),
}

BOOL_VALUES: dict[bool, tuple[str, ...]] = {
    True: ("ja", "yes", "true", "1", "j", "y", "sand"),
    False: ("nej", "no", "false", "0", "n", "falsk"),
}

# --- aggregate-counts file ------------------------------------------------------------------

AGGREGATE_REQUIRED = ("municipality", "group", "n", "rtw")
AGGREGATE_COUNTS = ("n", "rtw", "partial_rtw", "relapse", "dropout", "active_offer",
                    "other_benefit")
AGGREGATE_ALIASES: dict[str, tuple[str, ...]] = {
    "municipality": ("municipality", "kommune"),
    "group": ("group", "gruppe"),
    "n": ("n", "antal"),
    "rtw": ("rtw", "raskmeldt"),
    "partial_rtw": ("partial_rtw", "delvis_raskmeldt"),
    "relapse": ("relapse", "tilbagefald"),
    "dropout": ("dropout", "stoppet"),
    "active_offer": ("active_offer", "aktivt_tilbud"),
    "other_benefit": ("other_benefit", "anden_ydelse"),
}


def _lookup(table: dict) -> dict[str, object]:
    return {normalize_label(alias): key for key, aliases in table.items() for alias in aliases}


COLUMN_LOOKUP = _lookup(COLUMN_ALIASES)
AGGREGATE_LOOKUP = _lookup(AGGREGATE_ALIASES)
GROUP_LOOKUP = _lookup(GROUP_VALUES)
END_REASON_LOOKUP = _lookup(END_REASON_VALUES)
BOOL_LOOKUP = _lookup(BOOL_VALUES)
