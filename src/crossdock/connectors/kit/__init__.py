"""Parts every connector kind shares (a drop folder first; HTTP and incremental sources next)."""

from crossdock.connectors.kit.drop_folder import (
    DropFolder,
    FileBytes,
    Listing,
    Refused,
    UnsafeEntry,
    read_regular,
    stamp,
    write_atomic,
)

__all__ = [
    "DropFolder",
    "FileBytes",
    "Listing",
    "Refused",
    "UnsafeEntry",
    "read_regular",
    "stamp",
    "write_atomic",
]
