"""Cross-team epics: one epic per shared initiative, created once, with both teams' work under it.

``load`` reads ``rules/epics.yaml`` strictly, ``keys`` turns an initiative's name into its
stable key, ``plan`` (pure) compares what Jira has with what the rules want, ``actions`` carries
the writes out through ``apply``'s executor registry, ``step`` runs it all inside ``bridge
sync`` and ``rollup`` sums each epic's progress for the sprint page.
"""

from .keys import initiative_key, initiative_label
from .load import load_epic_rules, read_epic_rules

__all__ = ["initiative_key", "initiative_label", "load_epic_rules", "read_epic_rules"]
