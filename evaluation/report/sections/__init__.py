"""Reader-facing tables and sentences, one module per report section, built from analysis results."""

from ..words import verbatim  # noqa: F401
from . import appendices, context, costs, decision, engagement, matching, outcomes, phases, reoffending, spells, summary
from .appendices import *  # noqa: F401,F403
from .context import *  # noqa: F401,F403
from .costs import *  # noqa: F401,F403
from .decision import *  # noqa: F401,F403
from .engagement import *  # noqa: F401,F403
from .matching import *  # noqa: F401,F403
from .outcomes import *  # noqa: F401,F403
from .phases import *  # noqa: F401,F403
from .reoffending import *  # noqa: F401,F403
from .spells import *  # noqa: F401,F403
from .summary import *  # noqa: F401,F403

__all__ = [
    "verbatim",
    *summary.__all__,
    *context.__all__,
    *engagement.__all__,
    *matching.__all__,
    *outcomes.__all__,
    *reoffending.__all__,
    *costs.__all__,
    *decision.__all__,
    *phases.__all__,
    *spells.__all__,
    *appendices.__all__,
]
