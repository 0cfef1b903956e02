"""qualkit: batch qualitative coding for education research.

Library first: everything the ``qualkit`` command does is available from Python through
:class:`qualkit.project.Project`.
"""

__version__ = "0.1.0"
