"""The report's sections, one module each, in the order the report shows them.

Each module has ``section(ctx) -> Section | None`` (``None``: nothing to show). A section reads
only the cleared table through the shared :class:`~fastholdelse_eval.present.context.Context`;
sections later in the order may use what earlier ones recorded there (the rare baseline
categories, whether the municipalities were compared).
"""
