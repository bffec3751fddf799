"""The ``files`` connector: CSV and JSON Lines through folders, in both directions.

In: files dropped into ``inbox`` are matched by name against ``mappings``,
decoded (BOM, UTF-8, detection), and mapped row by row to partial canonical
records; each file is one acknowledged unit, moved to ``processed/`` after its
commit. Out: each pushed batch is written atomically to ``export_dir`` as one
JSON Lines or CSV file per route, named after its delivery ids. Registered
under the ``crossdock.connectors`` entry point ``files``.
"""

from crossdock.connectors.files.config import FileMapping, FilesSettings
from crossdock.connectors.files.connector import FilesConnector

__all__ = ["FileMapping", "FilesConnector", "FilesSettings"]
