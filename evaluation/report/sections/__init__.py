"""Reader-facing tables and sentences, one module per report section, built from analysis results."""
from . import costs, engagement, matching, outcomes, reoffending
from .costs import *  # noqa: F401,F403
from .engagement import *  # noqa: F401,F403
from .matching import *  # noqa: F401,F403
from .outcomes import *  # noqa: F401,F403
from .reoffending import *  # noqa: F401,F403

__all__ = [*engagement.__all__, *matching.__all__, *outcomes.__all__, *reoffending.__all__, *costs.__all__]
