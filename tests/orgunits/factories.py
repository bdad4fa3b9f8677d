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
    """Build VN > Tỉnh Thử Nghiệm > {Huyện An Bình > {2 xã}, Huyện Bình Minh > 1 xã}."""
    levels = org_levels_ensure()

    def unit(code, name, level, parent):
        return org_unit_create(
            acting_user=None, code=code, name=name, level=levels[level], parent=parent
        )

    # Codes no real unit carries, so the tree also fits beside the loaded country.
    national = OrgUnit.objects.filter(level=levels["national"], code="VN").first()
    national = national or unit("VN", "Việt Nam", "national", None)
    province = unit("T9", "Tỉnh Thử Nghiệm", "province", national)
    district = unit("T91", "Huyện An Bình", "district", province)
    other_district = unit("T92", "Huyện Bình Minh", "district", province)
    return SmallTree(
        national=national,
        province=province,
        district=district,
        commune=unit("T9001", "Xã An Hòa", "commune", district),
        sibling_commune=unit("T9002", "Xã An Phú", "commune", district),
        other_district=other_district,
        other_commune=unit("T9101", "Xã Bình Lợi", "commune", other_district),
    )
