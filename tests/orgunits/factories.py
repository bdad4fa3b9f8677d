"""Small synthetic trees for tests that start from an empty database."""

from dataclasses import dataclass

from orgunits.models import OrgUnit
from orgunits.services import org_levels_ensure, org_unit_create


@dataclass
class SmallTree:
    national: OrgUnit
    province: OrgUnit
    district: OrgUnit
    commune: OrgUnit
    sibling_commune: OrgUnit
    other_district: OrgUnit
    other_commune: OrgUnit


def make_small_tree() -> SmallTree:
    """Build VN > Tỉnh Thử > {Huyện A > {Xã A1, Xã A2}, Huyện B > Xã B1}."""
    levels = org_levels_ensure()

    def unit(code, name, level, parent):
        return org_unit_create(
            acting_user=None, code=code, name=name, level=levels[level], parent=parent
        )

    national = unit("VN", "Việt Nam", "national", None)
    province = unit("90", "Tỉnh Thử Nghiệm", "province", national)
    district = unit("901", "Huyện An Bình", "district", province)
    other_district = unit("902", "Huyện Bình Minh", "district", province)
    return SmallTree(
        national=national,
        province=province,
        district=district,
        commune=unit("90001", "Xã An Hòa", "commune", district),
        sibling_commune=unit("90002", "Xã An Phú", "commune", district),
        other_district=other_district,
        other_commune=unit("90101", "Xã Bình Lợi", "commune", other_district),
    )
