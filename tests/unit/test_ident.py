import pytest

from nav_lookup_contracts.ident import IdentKind, InvalidIdent, check_ident, mask_ident

# NAV's fnrvalidator test vectors.
VALID = [
    "13097248022",
    "29029648784",
    "29020075838",
    "15021951940",
    "02013299997",
    "30108299920",
    "30108299939",  # 2032 rule for the first control digit
]
VALID_DNR = ["53097248016", "70108299914"]
SYNTHETIC = [
    "68467038838",
    "13527248013",
    "10915596784",
    "50846202355",
    "12829499914",
    "52829400197",
    "21883649874",
    "61883600222",
    "55507608360",
    "69422056629",
]
INVALID = [
    "13097248032",
    "13097248023",
    "32127248022",
    "13137248022",
    "29020112345",
    "02013299987",
    "02013299996",
    "1234567890",
    "1234567891A",
    "80000000000",
    "90000000000",
    "",
    "130972480221",
]


@pytest.mark.parametrize("ident", VALID)
def test_valid_fnr(ident: str) -> None:
    assert check_ident(ident) is IdentKind.FNR


@pytest.mark.parametrize("ident", VALID_DNR)
def test_valid_dnr(ident: str) -> None:
    assert check_ident(ident) is IdentKind.DNR


@pytest.mark.parametrize("ident", SYNTHETIC)
def test_synthetic_only_when_allowed(ident: str) -> None:
    with pytest.raises(InvalidIdent, match="synthetic"):
        check_ident(ident)
    check_ident(ident, allow_synthetic=True)


@pytest.mark.parametrize("ident", INVALID)
def test_invalid(ident: str) -> None:
    with pytest.raises(InvalidIdent) as caught:
        check_ident(ident, allow_synthetic=True)
    if ident:
        assert ident not in str(caught.value)


def test_leap_day_depends_on_century() -> None:
    check_ident("29020075838")  # 29.02.2000
    with pytest.raises(InvalidIdent):
        check_ident("29020112345")


def test_mask_keeps_only_the_birth_date() -> None:
    assert mask_ident("13097248022") == "130972*****"
    assert mask_ident("short") == "***"


@pytest.mark.parametrize(
    "digits",
    ["０１２３４５６７８９", "٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹"],
    ids=["fullwidth", "arabic-indic", "extended-arabic-indic"],
)
def test_an_ident_in_another_script_s_digits_is_refused(digits: str) -> None:
    spelled = "".join(digits[int(c)] for c in VALID[0])
    with pytest.raises(InvalidIdent):
        check_ident(spelled)
