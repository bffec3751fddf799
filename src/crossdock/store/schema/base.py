"""The metadata every table shares, and the column types both backends agree on."""

from __future__ import annotations

from sqlalchemy import BigInteger, DateTime, Integer, MetaData

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for sequences.
SeqType = BigInteger().with_variant(Integer(), "sqlite")
TS = DateTime(timezone=True)

__all__ = ["TS", "SeqType", "metadata"]
