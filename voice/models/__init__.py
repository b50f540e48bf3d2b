"""All models; import from here."""
from .base import Base, new_id, now  # noqa: F401
from .core import *  # noqa: F401,F403
from .capture import *  # noqa: F401,F403
from .consent import *  # noqa: F401,F403
from .delivery import *  # noqa: F401,F403
from .review import *  # noqa: F401,F403
from .panel import *  # noqa: F401,F403
from .offline import *  # noqa: F401,F403
from .ratelimit import *  # noqa: F401,F403
from .readaloud import *  # noqa: F401,F403
from .alerts import *  # noqa: F401,F403
