"""The declarative field map every connector maps native fields with (files first).

See :mod:`.spec` for the declarations, :mod:`.rows` and :mod:`.objects` for how
rows and JSON documents are mapped, :mod:`.formats` for local numbers and dates.
"""

from crossdock.connectors.kit.fieldmap.formats import ColumnFormat, DateFormat, NumberFormat
from crossdock.connectors.kit.fieldmap.objects import JsonColumnsPlan, ObjectPlan, plan_for_json
from crossdock.connectors.kit.fieldmap.problems import FileProblem, RowProblem
from crossdock.connectors.kit.fieldmap.rows import RowPlan
from crossdock.connectors.kit.fieldmap.spec import FieldMap

__all__ = [
    "ColumnFormat",
    "DateFormat",
    "FieldMap",
    "FileProblem",
    "JsonColumnsPlan",
    "NumberFormat",
    "ObjectPlan",
    "RowPlan",
    "RowProblem",
    "plan_for_json",
]
