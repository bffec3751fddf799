"""The X12 syntax error codes a 997 (and a TA1) reports, as enums.

Their meanings are the code lists ``segment_error``, ``element_error``,
``set_error``, ``group_error`` and ``ta1_note`` in ``grammars/codes.yaml``
(what ``crossdock edi show`` prints); a test holds the two to the same codes.
"""

from __future__ import annotations

from enum import StrEnum


class SegmentCode(StrEnum):
    """AK304: what is wrong with a segment."""

    UNRECOGNIZED = "1"
    UNEXPECTED = "2"
    MANDATORY_MISSING = "3"
    LOOP_OVER_MAX = "4"
    OVER_MAX_USE = "5"
    NOT_IN_SET = "6"
    OUT_OF_SEQUENCE = "7"
    ELEMENT_ERRORS = "8"


class ElementCode(StrEnum):
    """AK403: what is wrong with a data element."""

    MANDATORY_MISSING = "1"
    CONDITIONAL_MISSING = "2"
    TOO_MANY = "3"
    TOO_SHORT = "4"
    TOO_LONG = "5"
    INVALID_CHARACTER = "6"
    INVALID_CODE = "7"
    INVALID_DATE = "8"
    INVALID_TIME = "9"
    EXCLUSION_VIOLATED = "10"


class SetAck(StrEnum):
    """AK501."""

    ACCEPTED = "A"
    ACCEPTED_WITH_ERRORS = "E"
    REJECTED = "R"


class SetCode(StrEnum):
    """AK502..AK506: what is wrong with a transaction set as a whole."""

    NOT_SUPPORTED = "1"
    TRAILER_MISSING = "2"
    CONTROL_MISMATCH = "3"
    COUNT_MISMATCH = "4"
    SEGMENTS_IN_ERROR = "5"
    BAD_IDENTIFIER = "6"
    BAD_CONTROL_NUMBER = "7"
    CONTROL_NOT_UNIQUE = "23"


class GroupAck(StrEnum):
    """AK901."""

    ACCEPTED = "A"
    ACCEPTED_WITH_ERRORS = "E"
    PARTIAL = "P"
    REJECTED = "R"


class GroupCode(StrEnum):
    """AK905..AK909: what is wrong with a functional group's envelope."""

    NOT_SUPPORTED = "1"
    VERSION_NOT_SUPPORTED = "2"
    TRAILER_MISSING = "3"
    CONTROL_MISMATCH = "4"
    COUNT_MISMATCH = "5"
    BAD_CONTROL_NUMBER = "6"


class InterchangeNote(StrEnum):
    """TA105: what is wrong with an interchange envelope (no 997 code exists for it)."""

    NO_ERROR = "000"
    CONTROL_MISMATCH = "001"
    GROUP_COUNT = "021"
    PREMATURE_END = "023"
    INVALID_CONTENT = "024"


__all__ = [
    "ElementCode",
    "GroupAck",
    "GroupCode",
    "InterchangeNote",
    "SegmentCode",
    "SetAck",
    "SetCode",
]
