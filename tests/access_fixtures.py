"""A site store holding two councils' records, imported by each council's admin, for the access tests."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fixtures_sites import HEADER, LAD_A, LAD_B, good_rows, ward_layer, write_csv

ADMIN_A, ADMIN_B = "admin@a.gov.uk", "admin@b.gov.uk"
OFFICER_A, OFFICER_B, VIEWER_A = "officer@a.gov.uk", "officer@b.gov.uk", "viewer@a.gov.uk"
ANALYST_A, SMP_OFFICER = "analyst@a.gov.uk", "officer@smp.org.uk"
SMP = "TESTSMP"
HOST, HOST_ADMIN = "HOST", "admin@host.example"


@dataclass
class TwoCouncils:
    db: Path
    refs_a: set[str]
    refs_b: set[str]


def council_rows(lad: str) -> list[list[object]]:
    """The fixture rows whose position lies in ``lad`` (W1, W2 are in LAD A; W3 in LAD B)."""
    rows = good_rows()[1:]
    wanted = {"D3"} if lad == LAD_B else {"H1", "D1", "D2"}
    return [HEADER, *[r for r in rows if r[0] in wanted]]


def two_councils(tmp_path: Path) -> TwoCouncils:
    """Members of both councils and an SMP; each council's admin imports its own file."""
    from geo.access.identity import member_for
    from geo.access.imports import import_as
    from geo.access.manage import grant, put_organisation
    from geo.access.members import Organisation

    db = tmp_path / "sites.sqlite"
    first = member_for(db, None, has_provider=False)  # the local admin adds the hosting body's admin
    put_organisation(db, first, Organisation(HOST, "Hosting body", "national"))
    grant(db, first, HOST_ADMIN, HOST, "admin")
    host = member_for(db, HOST_ADMIN, has_provider=False)
    put_organisation(db, host, Organisation(SMP, "Test SMP", "smp", region="Midlands"))
    for email, org, role in ((ADMIN_A, LAD_A, "admin"), (ADMIN_B, LAD_B, "admin"),
                             (OFFICER_A, LAD_A, "officer"), (OFFICER_B, LAD_B, "officer"),
                             (VIEWER_A, LAD_A, "viewer"), (ANALYST_A, LAD_A, "analyst"),
                             (SMP_OFFICER, SMP, "officer")):
        grant(db, host, email, org, role)
    wards = ward_layer()
    for email, lad in ((ADMIN_A, LAD_A), (ADMIN_B, LAD_B)):
        path = write_csv(tmp_path / f"sites-{lad}.csv", council_rows(lad))
        import_as(member_for(db, email, has_provider=False), path, db, wards)
    return TwoCouncils(db, {"H1", "D1", "D2"}, {"D3"})


REAL_A, REAL_B = "E09000017", "E08000012"  # Hillingdon, Liverpool: both in the sample's default authorities


def real_two_councils(model, tmp: Path) -> tuple[Path, dict[str, set[str]]]:
    """On the official ward layer: the illustrative sample of each council imported by its own admin,
    with a viewer, officers of both, an analyst of the first and an SMP officer (no agreement yet).
    Returns the store and each council's site references."""
    import pandas as pd

    from geo.access.identity import member_for
    from geo.access.imports import import_as
    from geo.access.manage import grant, put_organisation
    from geo.access.members import Organisation
    from geo.sites.sample import totals_from_asy_d11, write_sample

    db = tmp / "sites.sqlite"
    local = member_for(db, None, has_provider=False)
    put_organisation(db, local, Organisation(HOST, "Hosting body", "national"))
    grant(db, local, HOST_ADMIN, HOST, "admin")
    host = member_for(db, HOST_ADMIN, has_provider=False)
    put_organisation(db, host, Organisation(SMP, "Test SMP", "smp"))
    for email, org, role in ((ADMIN_A, REAL_A, "admin"), (ADMIN_B, REAL_B, "admin"),
                             (VIEWER_A, REAL_A, "viewer"), (OFFICER_A, REAL_A, "officer"),
                             (OFFICER_B, REAL_B, "officer"), (ANALYST_A, REAL_A, "analyst"),
                             (SMP_OFFICER, SMP, "officer")):
        grant(db, host, email, org, role)
    totals = totals_from_asy_d11(model.stats)
    refs = {}
    for email, lad in ((ADMIN_A, REAL_A), (ADMIN_B, REAL_B)):
        (tmp / lad).mkdir()
        path = write_sample(tmp / lad, model.wards, totals, lads=(lad,))
        refs[lad] = set(pd.read_csv(path, dtype=str).iloc[:, 0])
        import_as(member_for(db, email, has_provider=False), path, db, model.wards)
    return db, refs
