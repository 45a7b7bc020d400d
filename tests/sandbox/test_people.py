from collections import Counter

import pytest

from nav_lookup_contracts.ident import IdentKind, InvalidIdent, check_ident
from nav_sandbox import PEOPLE, SAMHANDLERE, UNKNOWN_IDENT, synthetic_ident
from nav_sandbox.people import medlemskapsunntak, person


def test_there_are_enough_people_with_distinct_valid_synthetic_idents() -> None:
    idents = [p.ident for p in PEOPLE]
    assert len(PEOPLE) >= 6
    assert len(set(idents)) == len(idents)
    kinds = Counter(check_ident(i, allow_synthetic=True) for i in idents)
    assert kinds[IdentKind.DNR] >= 1
    assert kinds[IdentKind.FNR] >= 1
    assert all(4 <= int(i[2]) <= 7 for i in idents), "NAV synthetic idents have month + 40"


@pytest.mark.parametrize("ident", [p.ident for p in PEOPLE] + [UNKNOWN_IDENT])
def test_synthetic_idents_are_refused_where_synthetic_ones_are_not_allowed(ident: str) -> None:
    check_ident(ident, allow_synthetic=True)
    with pytest.raises(InvalidIdent):
        check_ident(ident)


def test_the_unknown_ident_is_valid_but_nobody() -> None:
    check_ident(UNKNOWN_IDENT, allow_synthetic=True)
    assert person(UNKNOWN_IDENT) is None


def test_synthetic_ident_of_a_d_nummer_has_day_plus_40() -> None:
    from datetime import date

    ident = synthetic_ident(date(1999, 2, 28), 100, d_nummer=True)
    assert ident[:6] == "684299"
    assert check_ident(ident, allow_synthetic=True) is IdentKind.DNR


def test_people_and_unntak_ids_can_be_looked_up() -> None:
    unntak_ids = [u.unntakId for p in PEOPLE for u in p.medlemskapsunntak]
    assert len(set(unntak_ids)) == len(unntak_ids)
    for p in PEOPLE:
        assert person(p.ident) is p
        for u in p.medlemskapsunntak:
            found = medlemskapsunntak(u.unntakId)
            assert found is not None
            assert found.ident == p.ident
    assert medlemskapsunntak(1) is None


def test_samhandlere_are_ordered_by_change() -> None:
    assert len(SAMHANDLERE) > 20
    assert [s.endret for s in SAMHANDLERE] == sorted(s.endret for s in SAMHANDLERE)
