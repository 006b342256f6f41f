"""Reader-facing tables and sentences, one module per report section, built from analysis results."""
from . import engagement, matching, outcomes
from .engagement import *  # noqa: F401,F403
from .matching import *  # noqa: F401,F403
from .outcomes import *  # noqa: F401,F403

__all__ = [*engagement.__all__, *matching.__all__, *outcomes.__all__]
