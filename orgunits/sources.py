"""Read Vietnam's administrative units from the MIT-licensed ``vietnamadminunits`` data.

Two sets: the three-tier set in force until 30/06/2025 (63 provinces, districts,
communes; table ``admin_units_legacy``) and the two-tier set from 01/07/2025 (34
provinces, 3,321 communes; table ``admin_units``), plus the package's converter data,
which says which old units each new unit continues.
"""

from __future__ import annotations

import importlib.resources
import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field

from core.text import nfc

LEGACY = "legacy"
CURRENT = "current"


@dataclass(frozen=True)
class SourceUnit:
    """One unit as the source describes it; ``key`` ties it to the converter data."""

    key: str
    level: str
    code: str
    name: str
    short_name: str
    type_name: str
    parent_key: str | None


@dataclass(frozen=True)
class SourceLink:
    predecessor_key: str
    successor_key: str
    kind: str
    is_default: bool


@dataclass
class AdminUnitSource:
    legacy: list[SourceUnit] = field(default_factory=list)
    current: list[SourceUnit] = field(default_factory=list)
    links: list[SourceLink] = field(default_factory=list)


def _data_file(name: str):
    return importlib.resources.files("vietnamadminunits") / "data" / name


def _province_type(name: str) -> str:
    return "Thành phố" if name.startswith("Thành phố") else "Tỉnh"


def read_admin_unit_source() -> AdminUnitSource:
    """Return both sets of units and the successor links between them."""
    source = AdminUnitSource()
    with importlib.resources.as_file(_data_file("dataset.db")) as db_path:
        connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            legacy_rows = connection.execute(
                "SELECT province, provinceShort, provinceCode, provinceKey,"
                " district, districtShort, districtType, districtCode, districtKey,"
                " ward, wardShort, wardType, wardCode, wardKey"
                " FROM admin_units_legacy ORDER BY provinceCode, districtCode, wardCode"
            ).fetchall()
            current_rows = connection.execute(
                "SELECT province, provinceShort, provinceCode, provinceKey,"
                " ward, wardShort, wardType, wardCode, wardKey"
                " FROM admin_units ORDER BY provinceCode, wardCode"
            ).fetchall()
        finally:
            connection.close()

    seen: set[str] = set()
    for row in legacy_rows:
        (p_name, p_short, p_code, p_key, d_name, d_short, d_type, d_code, d_key,
         w_name, w_short, w_type, w_code, w_key) = row  # fmt: skip
        province_key = f"{LEGACY}:{p_key}"
        district_key = f"{LEGACY}:{p_key}_{d_key}"
        if province_key not in seen:
            seen.add(province_key)
            source.legacy.append(
                SourceUnit(
                    province_key,
                    "province",
                    p_code,
                    nfc(p_name),
                    nfc(p_short),
                    _province_type(p_name),
                    None,
                )  # fmt: skip
            )
        if district_key not in seen:
            seen.add(district_key)
            source.legacy.append(
                SourceUnit(
                    district_key,
                    "district",
                    d_code,
                    nfc(d_name),
                    nfc(d_short),
                    nfc(d_type),
                    province_key,
                )  # fmt: skip
            )
        if w_code:
            source.legacy.append(
                SourceUnit(
                    f"{LEGACY}:{p_key}_{d_key}_{w_key}",
                    "commune",
                    w_code,
                    nfc(w_name),
                    nfc(w_short),
                    nfc(w_type),
                    district_key,
                )  # fmt: skip
            )

    for row in current_rows:
        p_name, p_short, p_code, p_key, w_name, w_short, w_type, w_code, w_key = row
        province_key = f"{CURRENT}:{p_key}"
        if province_key not in seen:
            seen.add(province_key)
            source.current.append(
                SourceUnit(
                    province_key,
                    "province",
                    p_code,
                    nfc(p_name),
                    nfc(p_short),
                    _province_type(p_name),
                    None,
                )  # fmt: skip
            )
        source.current.append(
            SourceUnit(
                f"{CURRENT}:{p_key}_{w_key}",
                "commune",
                w_code,
                nfc(w_name),
                nfc(w_short),
                nfc(w_type),
                province_key,
            )  # fmt: skip
        )

    source.links = _successor_links(source)
    return source


def _successor_links(source: AdminUnitSource) -> list[SourceLink]:
    converter = json.loads(
        _data_file("converter_2025.json").read_text(encoding="utf-8")
    )
    links: list[SourceLink] = []

    for new_province, old_provinces in converter["DICT_PROVINCE"].items():
        kind = "merged" if len(old_provinces) > 1 else "unchanged"
        for old_province in old_provinces:
            links.append(
                SourceLink(
                    f"{LEGACY}:{old_province}", f"{CURRENT}:{new_province}", kind, True
                )  # fmt: skip
            )

    commune_successors: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    for new_province, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_ward, old_keys in wards.items():
            kind = "merged" if len(old_keys) > 1 else "unchanged"
            for old_key in old_keys:
                old = _legacy_key(old_key)
                successor = f"{CURRENT}:{new_province}_{new_ward}"
                links.append(SourceLink(old, successor, kind, True))
                commune_successors[old].append((successor, True))
    for new_province, divided in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, parts in divided.items():
            old = _legacy_key(old_key)
            for part in parts:
                successor = f"{CURRENT}:{new_province}_{part['newWardKey']}"
                is_default = bool(part["isDefaultNewWard"])
                links.append(SourceLink(old, successor, "split", is_default))
                commune_successors[old].append((successor, is_default))

    # Districts were abolished: each continues in the new province(s) that took its
    # communes; the province that took most of them is the default successor.
    parent_of = {unit.key: unit.parent_key for unit in source.current}
    district_of = {
        unit.key: unit.parent_key for unit in source.legacy if unit.level == "commune"
    }
    island_districts = {
        unit.key for unit in source.legacy if unit.level == "district"
    } - set(district_of.values())
    tally: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for old, successors in commune_successors.items():
        district = old if old in island_districts else district_of.get(old)
        if district is None:
            continue
        for successor, is_default in successors:
            if is_default:
                tally[district][parent_of[successor]] += 1
    for district, provinces in tally.items():
        main = max(provinces, key=lambda key: (provinces[key], key))
        for province in sorted(provinces):
            links.append(SourceLink(district, province, "abolished", province == main))
    return links


def _legacy_key(converter_key: str) -> str:
    # Island districts without communes appear as "province_district_" (empty ward).
    if converter_key.endswith("_"):
        return f"{LEGACY}:{converter_key.rstrip('_')}"
    return f"{LEGACY}:{converter_key}"
