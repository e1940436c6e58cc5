"""Tests for identifier normalisation and validation (pure Python, no HA)."""

from __future__ import annotations

import re

import pytest

from custom_components.gridmeter.providers.identifiers import (
    cups_base,
    is_valid_cups,
    is_valid_nif,
    is_valid_pod,
    is_valid_prm,
    normalize_cups,
    normalize_nif,
    normalize_pod,
    normalize_prm,
)

NOT_STRINGS: list[object] = [None, 12345678, 59461297239, b"ES0031607515707001RC", []]

# ---------------------------------------------------------------------------
# NIF
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12345678Z", "12345678Z"),
        (" 12.345.678-z ", "12345678Z"),
        ("x-1234567-l", "X1234567L"),
        ("a 58 818 501", "A58818501"),
        ("12345678\u2013Z", "12345678Z"),  # en dash
        ("ES12345678Z", "12345678Z"),  # intra-EU VAT form
        ("es-b65255101", "B65255101"),
        ("ES1234567", "ES1234567"),  # too short to carry a VAT prefix
        ("", ""),
    ],
)
def test_normalize_nif(raw: str, expected: str) -> None:
    assert normalize_nif(raw) == expected


@pytest.mark.parametrize(
    "nif",
    [
        # DNI: 12345678 % 23 = 14 -> "Z"; 0 % 23 = 0 -> "T".
        "12345678Z",
        "00000000T",
        "99999999R",
        "12.345.678-z",
        # NIE: X/Y/Z -> 0/1/2. 01234567 % 23 = 19 -> "L"; 11234567 % 23 = 10
        # -> "X"; 21234567 % 23 = 1 -> "R".
        "X1234567L",
        "Y1234567X",
        "Z1234567R",
        "x1234567l",
        # K/L/M personal NIFs: DNI letter of the 7 digits (1234567 % 23 = 19).
        "K1234567L",
        "L1234567L",
        "M1234567L",
        # CIF with a control digit (A, B, E, H must use the digit).
        "A58818501",  # 5,8,8,0 doubled -> 1+7+7+0 = 15; +8+1+5 = 29 -> 1
        "B65255101",
        "E00000000",
        "H28000008",  # 2,0,0,0 doubled -> 4, +8+0+0 -> 12 -> 8
        # CIF with a control letter (P, Q, R, S, N, W must use the letter).
        "Q2826000H",
        "P0800000B",
        "S2800001F",
        "N0012345E",
        "W0012345E",
        "R2800001F",
        # Others accept either: G1234567 -> digit 4 or letter "D".
        "G12345674",
        "G1234567D",
        "J00000000",
        "J0000000J",
        "U76543214",
        "V7654321D",
        "ES-A58818501",
    ],
)
def test_valid_nif(nif: str) -> None:
    assert is_valid_nif(nif)


@pytest.mark.parametrize(
    "nif",
    [
        "12345678A",  # wrong DNI letter
        "1234567Z",  # 7 digits
        "123456789Z",  # 9 digits
        "12345678",  # no letter
        "12345678U",  # U is not in the table
        "X1234567A",  # wrong NIE letter
        "X12345678L",  # 8 digits after X
        "W1234567L",  # W is a CIF letter, not NIE
        "K1234567A",  # wrong K letter
        "A5881850A",  # A must use the control digit
        "A58818502",  # wrong control digit
        "Q28260008",  # Q must use the control letter
        "Q2826000A",  # wrong control letter
        "G12345675",  # wrong digit
        "G1234567E",  # wrong letter
        "I1234567D",  # I is not an organisation letter
        "O12345674",
        "A5881850K",  # K is outside the control-letter alphabet
        "ES12345678A",
        "",
        "   ",
        "ABCDEFGHI",
        "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668Z",  # Arabic-Indic digits
    ],
)
def test_invalid_nif(nif: str) -> None:
    assert not is_valid_nif(nif)


@pytest.mark.parametrize("value", NOT_STRINGS)
def test_is_valid_nif_never_raises(value: object) -> None:
    assert is_valid_nif(value) is False


# ---------------------------------------------------------------------------
# CUPS
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cups",
    [
        # E-distribución fixture: 0031607515707001 % 529 = 43 -> (1, 20) -> "RC".
        "ES0031607515707001RC0F",
        "ES0031607515707001RC",
        # python-stdnum doctest: 1234123456789012 % 529 = 305 -> (13, 6) -> "JY".
        "ES1234123456789012JY",
        "ES0021000000000000RC",  # edata's synthetic CUPS with the right letters
        "es 0031 6075 1570 7001 rc 0f",
        " ES-0031-6075-1570-7001-RC-0F ",
        "ES0031607515707001RC1P",
        "ES0031607515707001RC9R",
        "ES0031607515707001RC0C",
        "ES0031607515707001RC0X",
        "ES0031607515707001RC0Y",
        "ES0031607515707001RC0Z",
    ],
)
def test_valid_cups(cups: str) -> None:
    assert is_valid_cups(cups)


@pytest.mark.parametrize(
    "cups",
    [
        "ES0031607515707001RD0F",  # wrong second check letter
        "ES0031607515707001CR0F",  # swapped check letters
        "ES0021000000000000AA0A",  # edata placeholder (expected "RC", bad suffix)
        "ES0021000000000000AA",  # edata placeholder, base only
        "ES0031607515707001RC0A",  # suffix kind not in FPRCXYZ
        "ES0031607515707001RCF0",  # suffix order letter+digit
        "ES0031607515707001RC0",  # 21 characters
        "ES0031607515707001RC0F1",  # 23 characters
        "ES003160751570700RC0F",  # 15 digits
        "FR0031607515707001RC0F",  # not Spain
        "ES003160751570700ARC0F",  # letter among the digits
        "",
        "ES",
    ],
)
def test_invalid_cups(cups: str) -> None:
    assert not is_valid_cups(cups)


@pytest.mark.parametrize("value", NOT_STRINGS)
def test_is_valid_cups_never_raises(value: object) -> None:
    assert is_valid_cups(value) is False


def test_normalize_cups_and_base() -> None:
    assert normalize_cups(" es 0031-6075.1570 7001 rc 0f ") == "ES0031607515707001RC0F"
    assert cups_base("ES0031607515707001RC0F") == "ES0031607515707001RC"
    assert cups_base("es0031607515707001rc") == "ES0031607515707001RC"
    assert cups_base("ES0031607515707001RC1P") == cups_base("ES0031607515707001RC0F")
    assert cups_base("ES0031") == "ES0031"  # no validation, shorter values whole


# ---------------------------------------------------------------------------
# PRM / PDL
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("00059461297239", "00059461297239"),  # Switchgrid spec example
        (" 0005 9461 2972 39 ", "00059461297239"),
        ("000-594-612-972-39", "00059461297239"),
        ("00056.09204.2209", "00056092042209"),
    ],
)
def test_normalize_prm_keeps_leading_zeros(raw: str, expected: str) -> None:
    assert normalize_prm(raw) == expected
    assert is_valid_prm(raw)


@pytest.mark.parametrize(
    "prm",
    [
        "00059461297239",
        "00056092042209",  # test PRM seen in third-party tests
        "12345678901234",
        "00000000000000",  # no checksum is published, so shape only
    ],
)
def test_valid_prm(prm: str) -> None:
    assert is_valid_prm(prm)


@pytest.mark.parametrize(
    "prm",
    [
        "0005946129723",  # 13 digits
        "000594612972390",  # 15 digits
        "59461297239",  # leading zeros lost (int round trip)
        "0005946129723A",
        "PRM00059461297239",
        "\uff10\uff10\uff10\uff15\uff19\uff14\uff16\uff11\uff12\uff19\uff17\uff12\uff13\uff19",
        "",
    ],
)
def test_invalid_prm(prm: str) -> None:
    assert not is_valid_prm(prm)


@pytest.mark.parametrize("value", NOT_STRINGS)
def test_is_valid_prm_never_raises(value: object) -> None:
    assert is_valid_prm(value) is False


# ---------------------------------------------------------------------------
# POD
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("IT001E12345678", "IT001E12345678"),
        (" it 001 e 12345678 ", "IT001E12345678"),
        ("it001e12345678a", "IT001E12345678A"),
        ("IT-002-E-87654321", "IT002E87654321"),
    ],
)
def test_normalize_pod(raw: str, expected: str) -> None:
    assert normalize_pod(raw) == expected


@pytest.mark.parametrize(
    "pod",
    [
        "IT001E12345678",  # e-distribuzione, 14 characters
        "IT002E87654321",  # Areti (Rome)
        "IT001E123456789",  # 15 characters (9-digit numeric part)
        "IT001E12345678A",  # trailing letter
        "it 001 e 12345678",
    ],
)
def test_valid_pod(pod: str) -> None:
    assert is_valid_pod(pod)


@pytest.mark.parametrize(
    "pod",
    [
        "IT001E1234567890AB",  # Digiwatt doc example, 18 characters
        "IT001E1234567890ABC",  # 19 characters: matches the Digiwatt doc regex
        "IT001E1234567",  # 7 digits
        "IT001E12345678AB",  # two trailing characters
        "IT001G12345678",  # not electricity
        "IT01E12345678",  # 2-digit distributor
        "ITA01E12345678",  # letter in the distributor code
        "FR001E12345678",
        "IT001EABCDEFGH",
        "01234567890123",  # a gas PDR (14 digits) is not a POD
        "",
    ],
)
def test_invalid_pod(pod: str) -> None:
    assert not is_valid_pod(pod)


def test_digiwatt_regex_rejects_real_pods() -> None:
    """Document why the Digiwatt pattern is not used."""
    digiwatt = re.compile(r"^[A-Z]{2}[0-9A-Z]{3}[A-Z0-9]{14}$")
    assert digiwatt.match("IT001E12345678") is None
    assert digiwatt.match("IT001E1234567890AB") is None  # its own example
    assert digiwatt.match("IT001E1234567890ABC") is not None  # 19 characters


@pytest.mark.parametrize("value", NOT_STRINGS)
def test_is_valid_pod_never_raises(value: object) -> None:
    assert is_valid_pod(value) is False
