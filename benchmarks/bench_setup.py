"""Set-up shared by the benchmarks: a synthetic form and a province of communes that
report it (built inside the caller's transaction, rolled back afterwards)."""

from __future__ import annotations

import json

from forms.services import form_import
from orgunits.services import org_levels_ensure, org_unit_create
from reporting.services import assignment_create


def form_document(
    *, code: str, title: str, regime: str, rows: int, columns: list[dict]
) -> bytes:
    """Return a published yearly form of ``rows`` coded rows and ``columns``."""
    document = {
        "format": "ebaocao.form",
        "format_version": 1,
        "code": code,
        "title": title,
        "period_type": "year",
        "has_unit_column": True,
        "columns": columns,
        "rows": [
            {"code": f"{n:03d}", "label": f"Chỉ tiêu {n}"} for n in range(1, rows + 1)
        ],
        "version": 1,
        "published": True,
        "regime": {
            "code": regime,
            "name": f"Chế độ đo hiệu năng ({code})",
            "legal_basis": "—",
            "issuing_agency": "—",
            "approval_levels": [],
        },
    }
    return json.dumps(document, ensure_ascii=False).encode()


def communes_reporting(
    document: bytes, *, prefix: str, label: str, count: int, period: str
):
    """Import the form and create a country, a province and ``count`` communes
    (codes ``<prefix>00000``…) assigned to report it from ``period``; return the
    form version and the commune codes."""
    version, _created = form_import(acting_user=None, text=document)
    levels = org_levels_ensure()
    country = org_unit_create(
        acting_user=None,
        code=f"{prefix}-VN",
        name=f"Quốc gia ({label})",
        level=levels["national"],
        parent=None,
    )
    province = org_unit_create(
        acting_user=None,
        code=f"{prefix}-T",
        name=f"Tỉnh ({label})",
        level=levels["province"],
        parent=country,
    )
    codes = [f"{prefix}{n:05d}" for n in range(count)]
    for code in codes:
        org_unit_create(
            acting_user=None,
            code=code,
            name=f"Xã {code}",
            level=levels["commune"],
            parent=province,
        )
    assignment_create(
        acting_user=None,
        form_version=version,
        root=province,
        levels=[levels["commune"]],
        first_period=period,
        grace_days=None,
    )
    return version, codes
