"""The colours of the house style, as plain constants: what code that draws nothing (the designer pack's
colour sheet) needs, without importing Altair. :mod:`cufstudy.notebook.charts.theme` builds the charts' theme
from them."""

from __future__ import annotations

from typing import Final

__all__ = [
    "ACCENT",
    "AMBITION_RANGE",
    "BAR_COLOUR",
    "CLUSTER_COLOURS",
    "GRID",
    "INK",
    "LEVEL_COLOURS",
    "MUTED",
    "PALE",
    "PHASE_COLOURS",
    "RULE",
    "STATUS_COLOURS",
    "TIER_COLOURS",
]

# Okabe & Ito (2008) colour-blind-safe palette: one colour per tier group, the same in every chart.
TIER_COLOURS: Final[dict[str, str]] = {
    "commune": "#0072B2",
    "epci": "#E69F00",
    "departement": "#009E73",
    "region": "#CC79A7",
    "statut_particulier": "#56B4E9",
}
# follow-up statuses, a diverging blue-red ramp (ColorBrewer RdBu, colour-blind safe) from done to dropped
STATUS_COLOURS: Final[dict[str, str]] = {
    "implemented": "#2166AC",
    "partly": "#92C5DE",
    "not_started": "#F4A582",
    "abandoned": "#B2182B",
    "unknown": "#D9D9D9",
}
# before / recommended / after a mission: grey to dark blue, in time order
PHASE_COLOURS: Final[dict[str, str]] = {"before": "#BDBDBD", "recommended": "#6A9AC4", "after": "#1F4E79"}
BAR_COLOUR: Final = TIER_COLOURS["commune"]
"""Bars and marks of a single series (the theme's default mark colour)."""
# Paul Tol's "muted" qualitative scheme (colour-blind safe, 9 colours, in his order): the classes of a data
# typology, which must not borrow the tier groups' colours (a class is not a tier) and stay distinct beyond five
CLUSTER_COLOURS: Final = [
    "#CC6677",
    "#332288",
    "#DDCC77",
    "#117733",
    "#88CCEE",
    "#882255",
    "#44AA99",
    "#999933",
    "#AA4499",
]
AMBITION_RANGE: Final = ["#EFF3FF", "#08519C"]  # sequential ramp of the heatmaps (ColorBrewer Blues ends)
LEVEL_COLOURS: Final = ["#EFF3FF", "#BDD7E7", "#6BAED6", "#3182BD", "#08519C"]
"""SDG contribution levels 0 to 4 (ColorBrewer Blues, 5 classes): the ends are :data:`AMBITION_RANGE`'s."""
INK: Final = "#222222"
MUTED: Final = "#595959"
RULE: Final = "#8C8C8C"
GRID: Final = "#E6E6E6"
# the brochure's accent (titles, the key figures' band) and its pale ground
ACCENT: Final = "#1F4E79"
PALE: Final = "#EAF1F8"
