"""Report-form definitions as pure Python: the grid, its formulas and their checks.

No Django here (an import-linter contract keeps it so): the builder, the Excel and PDF
renderers, the upload parser and the rule engine all read the same definition.
"""

from forms.definition.model import (
    CellOverride,
    CellState,
    ColumnDef,
    DataType,
    DeadlineRule,
    FormDefinition,
    RowDef,
)
from forms.definition.problems import Problem

__all__ = [
    "CellOverride",
    "CellState",
    "ColumnDef",
    "DataType",
    "DeadlineRule",
    "FormDefinition",
    "Problem",
    "RowDef",
]
