"""Canonical column names, their Danish spellings, and value vocabularies (docs/input.md is
generated from them).

Matching is case-, whitespace-, ``_``/``-``/space- and æøå-insensitive: ``ø``≈``oe``,
``æ``≈``ae``, ``å``≈``aa``. :func:`normalize_label` is the single place that rule lives.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.messages import message

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
# The canonical label columns: pandas Categoricals of sorted categories (data/cohort.py).
LABEL_COLUMNS = ("group", "municipality", "end_reason", "end_detail")
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
# Why a sickness-benefit spell ended, in the words jobcentres, DREAM and Jobindsats use.
# docs/input.md lists these (generated; tests/test_input_docs.py keeps it in step) and says why
# each is where it is. The label as written is kept in ``end_detail``.
#
# ``rtw`` is "fit for work" (raskmeldt): sickness benefit ended because the person can work
# again — back in a job, self-supporting, or fit and back on unemployment benefit from the
# a-kasse (``ledig``, ``a-dagpenge``). Greve's published "raskmeldt" counts all of these (7 of
# its 10 relapses were sick-listed again from the a-kasse), so the built-in vocabulary does the
# same; a study that wants a job-only outcome maps ``ledig``/``a-dagpenge`` to ``censored`` or
# reads ``end_detail``.
END_REASON_VALUES: dict[str, tuple[str, ...]] = {
    "rtw": (
        "rtw", "return_to_work", "raskmeldt", "rask", "fuldt raskmeldt", "raskmeldt til job",
        "job", "i job", "ordinært job", "ordinær beskæftigelse", "beskæftigelse", "arbejde",
        "tilbage i job", "tilbage til arbejde", "selvforsørgende", "selvforsørgelse",
        "ledig", "a-dagpenge", "dagpenge", "arbejdsløshedsdagpenge", "raskmeldt til a-kasse",
        "raskmeldt ledig",
    ),
    "other_benefit": (
        "other_benefit", "anden ydelse", "overgået til anden ydelse", "fleksjob", "revalidering",
        "ressourceforløb", "jobafklaring", "jobafklaringsforløb", "kontanthjælp",
        "uddannelseshjælp", "ledighedsydelse", "pension", "førtidspension", "folkepension",
        "efterløn", "seniorpension", "barsel", "barselsdagpenge",
    ),
    "dropout": (
        "dropout", "stoppet", "manglende medvirken", "udeblevet", "udeblivelse", "sanktion",
        "sanktioneret", "stop af sygedagpenge",
    ),
    "censored": (
        "censored", "ongoing", "igangværende", "i gang", "fortsat sygemeldt", "stadig sygemeldt",
        "sygemeldt", "død", "afgået ved døden", "fraflyttet", "flyttet", "udrejst",
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


# --- a study's own words ---------------------------------------------------------------------

# Columns whose values a study may map with its own labels ([values.<column>] in the TOML).
VALUE_LOOKUPS: Mapping[str, dict[str, object]] = MappingProxyType({
    "end_reason": END_REASON_LOOKUP, "group": GROUP_LOOKUP, "active_offer": BOOL_LOOKUP})


@dataclass(frozen=True)
class Vocabulary:
    """A study's own column names and value labels on top of the built-in spellings.

    ``columns``: header in the file → canonical column (or any accepted spelling of one),
    e.g. ``{"Ophørsårsag": "end_reason", "CPR-pseudonym": "person_id"}``.
    ``values``: canonical column → {label in the file → canonical value or a known label},
    e.g. ``{"end_reason": {"Tilbage hos a-kassen": "ledig", "Aktivitetsparat": "censored"}}``.
    Checked when built: an unknown target is a :class:`ConfigError` naming the key.
    """

    columns: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.columns, Mapping) or not isinstance(self.values, Mapping):
            raise ConfigError(message("study_vocabulary_not_tables", name="columns/values"))
        for header, target in self.columns.items():
            if not isinstance(target, str) or (
                    COLUMN_LOOKUP.get(normalize_label(target)) is None
                    and AGGREGATE_LOOKUP.get(normalize_label(target)) is None):
                known = ", ".join(dict.fromkeys([*COLUMN_ALIASES, *AGGREGATE_ALIASES]))
                raise ConfigError(message("study_column_unknown", name=f"columns.{header}",
                                          target=repr(target), known=known))
        for column, labels in self.values.items():
            lookup = VALUE_LOOKUPS.get(str(column))
            if lookup is None:
                raise ConfigError(message("study_values_column", name=f"values.{column}",
                                          columns=", ".join(VALUE_LOOKUPS)))
            if not isinstance(labels, Mapping):
                raise ConfigError(message("study_values_not_table", name=f"values.{column}"))
            for label, target in labels.items():
                if not isinstance(target, str) or lookup.get(normalize_label(target)) is None:
                    known = ", ".join(dict.fromkeys(str(v) for v in lookup.values()))
                    raise ConfigError(message("study_value_unknown",
                                              name=f"values.{column}.{label}",
                                              target=repr(target), known=known))

    def column_lookup(self, base: Mapping[str, object] = COLUMN_LOOKUP) -> dict[str, object]:
        """Normalised header → canonical column, the study's own first. ``base``:
        :data:`COLUMN_LOOKUP` (person-level files) or :data:`AGGREGATE_LOOKUP` (counts); own
        names whose target the file kind does not know are left out."""
        own = {normalize_label(h): base[normalize_label(t)]
               for h, t in self.columns.items() if normalize_label(t) in base}
        return {**base, **own}

    def value_lookup(self, column: str) -> dict[str, object]:
        """Normalised label → canonical value of ``column``, the study's own first."""
        base = VALUE_LOOKUPS[column]
        own = {normalize_label(label): base[normalize_label(target)]
               for label, target in self.values.get(column, {}).items()}
        return {**base, **own}

    @classmethod
    def build(cls, columns: Mapping[str, str] | None = None,
              values: Mapping[str, Mapping[str, str]] | None = None) -> Vocabulary:
        return cls(dict(columns or {}), {k: dict(v) if isinstance(v, Mapping) else v
                                         for k, v in (values or {}).items()})


BUILT_IN = Vocabulary()
