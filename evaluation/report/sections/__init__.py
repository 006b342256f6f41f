"""Reader-facing tables and sentences, one module per report section, built from analysis results."""
from .engagement import *  # noqa: F401,F403
from .engagement import __all__ as _engagement
from .matching import *  # noqa: F401,F403
from .matching import __all__ as _matching

__all__ = [*_engagement, *_matching]
