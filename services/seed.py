"""Synthetic demo data: 32 invented people covering every group, account state and payment status.

Nothing here is a real person. The data is deterministic and dated relative to today, so that
"tháng này" always has a payment in progress whenever the demo runs.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.rules import load_rules
from services.db import make_engine, migrate, session_factory, transaction
from services.models import (
    Beneficiary,
    CommuneSchedule,
    LinkRequest,
    Payment,
    ProviderAccount,
    ProxyAuthorisation,
)

# province, commune, transfer day, cash day, cash place
SCHEDULES = [
    ("Long An", "Xã Tân Phú", 5, 10, "Nhà văn hóa ấp 3, xã Tân Phú"),
    ("Hà Nội", "Phường Ba Đình", 3, 8, "Bưu điện phường Ba Đình"),
    ("Thanh Hóa", "Xã Quảng Phú", 6, 12, "Hội trường UBND xã Quảng Phú"),
    ("Nghệ An", "Xã Diễn Châu", 7, 12, "Bưu điện văn hóa xã Diễn Châu"),
    ("Đà Nẵng", "Phường Hải Châu", 4, 9, "Bưu điện phường Hải Châu"),
    ("Cần Thơ", "Phường Ninh Kiều", 5, 11, "Nhà văn hóa khu vực 2, phường Ninh Kiều"),
    ("TP Hồ Chí Minh", "Phường Bến Thành", 3, 7, "Bưu điện phường Bến Thành"),
]
PROVINCE_CODES = {
    "Long An": "080", "Hà Nội": "001", "Thanh Hóa": "038", "Nghệ An": "040",
    "Đà Nẵng": "048", "Cần Thơ": "092", "TP Hồ Chí Minh": "079",
}  # fmt: skip


@dataclass(frozen=True)
class Person:
    name: str
    born: date
    gender: str
    province: str
    group: str
    benefit: str | None  # the benefit key in core/rules/benefits.yaml, None if none yet
    household: str = "none"
    disability: str = "none"
    pension: bool = False
    # How money is received: a bank code, a wallet, or "cash"; with the link state of that account.
    provider: str = "cash"
    link: str = "none"  # verified | pending | refused:<reason> | none
    vneid_level: int = 2


PEOPLE = [
    Person(
        "Nguyễn Văn An", date(1941, 3, 12), "M", "Long An", "BTXH_K5C", "btxh_k5c", provider="AGRIBANK", link="verified"
    ),
    Person(
        "Trần Thị Bình",
        date(1944, 7, 2),
        "F",
        "Hà Nội",
        "BTXH_K5C",
        "btxh_k5c",
        provider="VIETTEL_MONEY",
        link="refused:name_mismatch",
    ),
    Person("Lê Thị Cúc", date(1950, 1, 20), "F", "Thanh Hóa", "HTXH", "htxh", provider="VNPT_MONEY", link="verified"),
    Person("Phạm Văn Dũng", date(1953, 9, 9), "M", "Nghệ An", "HTXH", "htxh", household="poor", provider="cash"),
    Person(
        "Hoàng Thị Em",
        date(1962, 5, 30),
        "F",
        "Đà Nẵng",
        "BTXH_K5A",
        "btxh_k5a_60_79",
        household="poor",
        provider="VCB",
        link="pending",
    ),
    Person(
        "Vũ Văn Giang", date(1939, 11, 1), "M", "Cần Thơ", "BTXH_K5A", "btxh_k5a_80", household="poor", provider="cash"
    ),
    Person(
        "Đặng Thị Hoa",
        date(1949, 4, 14),
        "F",
        "Thanh Hóa",
        "BTXH_K5B",
        "btxh_k5b",
        household="near_poor",
        provider="AGRIBANK",
        link="refused:old_id_number",
    ),
    Person("Bùi Văn Hùng", date(1952, 8, 8), "M", "Nghệ An", "BTXH_K5D", "btxh_k5d", household="poor", provider="cash"),
    Person(
        "Đỗ Thị Kim",
        date(1980, 2, 17),
        "F",
        "Long An",
        "BTXH_K6",
        "btxh_k6_especially_severe",
        disability="especially_severe",
        provider="BIDV",
        link="verified",
    ),
    Person(
        "Hồ Văn Long",
        date(1975, 12, 25),
        "M",
        "Hà Nội",
        "BTXH_K6",
        "btxh_k6_severe",
        disability="severe",
        provider="VIETINBANK",
        link="refused:account_closed",
    ),
    Person(
        "Ngô Thị Mai",
        date(2014, 6, 6),
        "F",
        "Cần Thơ",
        "BTXH_K6",
        "btxh_k6_severe_child_elderly",
        disability="severe",
        provider="cash",
    ),
    Person(
        "Dương Văn Nam", date(2012, 10, 10), "M", "Đà Nẵng", "BTXH_K1", "btxh_k1_4plus", provider="MB", link="verified"
    ),
    Person("Lý Thị Oanh", date(2023, 1, 5), "F", "TP Hồ Chí Minh", "BTXH_K1", "btxh_k1_under4", provider="cash"),
    Person(
        "Trịnh Văn Phúc",
        date(2007, 9, 19),
        "M",
        "Hà Nội",
        "BTXH_K2",
        "btxh_k2",
        provider="TCB",
        link="refused:account_locked",
    ),
    Person(
        "Mai Thị Quyên",
        date(2016, 3, 3),
        "F",
        "Thanh Hóa",
        "BTXH_K3",
        "btxh_k3_4plus",
        household="poor",
        provider="cash",
    ),
    Person(
        "Đinh Thị Rạng",
        date(1988, 7, 7),
        "F",
        "Nghệ An",
        "BTXH_K4",
        "btxh_k4",
        household="poor",
        provider="MOBIFONE_MONEY",
        link="refused:phone_not_owner",
    ),
    Person(
        "Cao Văn Sơn",
        date(1958, 12, 12),
        "M",
        "Long An",
        "BTXH_K4",
        "btxh_k4",
        household="near_poor",
        provider="ACB",
        link="verified",
    ),
    Person("Lâm Thị Tâm", date(2024, 4, 4), "F", "Thanh Hóa", "BTXH_K7", "btxh_k7", household="poor", provider="cash"),
    Person(
        "Tạ Văn Út",
        date(1979, 1, 1),
        "M",
        "Cần Thơ",
        "BTXH_K8",
        "btxh_k8",
        household="poor",
        provider="SACOMBANK",
        link="refused:vneid_not_level2",
        vneid_level=1,
    ),
    Person(
        "Phan Thị Vân", date(1947, 2, 2), "F", "Đà Nẵng", "NCC", "ncc_martyr_family_1", provider="VCB", link="verified"
    ),
    Person(
        "Quách Văn Xuân",
        date(1951, 6, 21),
        "M",
        "TP Hồ Chí Minh",
        "NCC",
        "ncc_war_invalid_61",
        provider="VIETTEL_MONEY",
        link="verified",
    ),
    Person("Nguyễn Thị Yến", date(1938, 8, 18), "F", "Hà Nội", "NCC", "ncc_heroic_mother", provider="cash"),
    Person(
        "Lê Văn Bảo",
        date(1948, 3, 27),
        "M",
        "Nghệ An",
        "NCC",
        "ncc_agent_orange_21_40",
        provider="AGRIBANK",
        link="pending",
    ),
    Person(
        "Trần Văn Chiến",
        date(1955, 10, 2),
        "M",
        "Thanh Hóa",
        "NCC",
        "ncc_sick_soldier_41_50",
        provider="BIDV",
        link="verified",
    ),
    Person(
        "Võ Thị Diệu", date(1943, 12, 5), "F", "Long An", "BTXH_K5C", "btxh_k5c", provider="LPBANK", link="verified"
    ),
    Person(
        "Huỳnh Văn Được", date(1946, 4, 30), "M", "Cần Thơ", "HTXH", "htxh", provider="VIETTEL_MONEY", link="pending"
    ),
    Person(
        "Châu Thị Gấm",
        date(1957, 11, 11),
        "F",
        "TP Hồ Chí Minh",
        "BTXH_K6",
        "btxh_k6_severe_child_elderly",
        disability="severe",
        provider="VCB",
        link="verified",
    ),
    Person("Kiều Văn Hải", date(1990, 5, 15), "M", "Đà Nẵng", "NONE", None, provider="VCB", link="none"),
    Person("Lưu Thị Hằng", date(1960, 9, 2), "F", "Hà Nội", "NONE", None, household="near_poor", provider="cash"),
    Person(
        "Mạc Văn Khánh",
        date(1945, 7, 27),
        "M",
        "Nghệ An",
        "BTXH_K5C",
        "btxh_k5c",
        pension=False,
        provider="VNPT_MONEY",
        link="refused:name_mismatch",
    ),
    Person(
        "Nghiêm Thị Lụa",
        date(1936, 1, 23),
        "F",
        "Thanh Hóa",
        "BTXH_K6",
        "btxh_k6_especially_severe_child_elderly",
        disability="especially_severe",
        provider="cash",
    ),
    Person(
        "Ông Văn Minh",
        date(1950, 2, 14),
        "M",
        "Long An",
        "HTXH",
        "htxh",
        pension=True,
        provider="HDBANK",
        link="verified",
    ),
]

WALLET_PREFIX = {"VIETTEL_MONEY": "098", "VNPT_MONEY": "091", "MOBIFONE_MONEY": "090"}
PROGRAM_OF_GROUP = {"HTXH": "HTXH", "NCC": "NCC"}


def commune_of(person: Person) -> str:
    return next(row[1] for row in SCHEDULES if row[0] == person.province)


def cccd_of(index: int, person: Person) -> str:
    century_gender = (person.born.year // 100 - 19) * 2 + (1 if person.gender == "F" else 0)
    return f"{PROVINCE_CODES[person.province]}{century_gender}{person.born.year % 100:02d}{100001 + index:06d}"


def phone_of(index: int, person: Person) -> str:
    prefix = WALLET_PREFIX.get(person.provider, "098")
    return f"{prefix}{3000001 + index * 7919:07d}"


def account_of(index: int, person: Person) -> str:
    if person.provider in WALLET_PREFIX:
        return phone_of(index, person)
    return f"{1020304000 + index * 37:010d}{index % 10}"


def spare_account_of(index: int) -> str:
    """A second, correct bank account for people whose first link was refused for the name."""
    return f"{5100200300000 + index:013d}"


def months_back(today: date, count: int) -> list[date]:
    """First days of the `count` months ending with today's month, oldest first."""
    firsts, year, month = [], today.year, today.month
    for _ in range(count):
        firsts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(firsts))


def payment_status(index: int, person: Person, first: date, today: date) -> tuple[str, date]:
    """Older months are settled; this month is somewhere along the pipeline (PRODUCT.md 3.5)."""
    current = first.year == today.year and first.month == today.month
    if current:
        stage = ("listed", "approved", "sent_to_treasury", "sent_to_bank")[index % 4]
        return stage, min(today, first + timedelta(days=index % 4))
    if person.provider == "cash":
        return "cash_at_commune", first + timedelta(days=9)
    months_ago = (today.year - first.year) * 12 + today.month - first.month
    if person.link.startswith("refused") and months_ago == 1:
        return "returned", first + timedelta(days=8)
    if index % 7 == 3 and months_ago == 2:
        return "failed", first + timedelta(days=6)
    return "paid", first + timedelta(days=4)


def seed(session: Session, today: date) -> int:
    """Insert the demo people once; returns how many were added (0 when already seeded)."""
    if session.execute(select(func.count(Beneficiary.id))).scalar_one():
        return 0
    rules = load_rules()
    for province, commune, transfer_day, cash_day, place in SCHEDULES:
        session.add(
            CommuneSchedule(
                province=province, commune=commune, transfer_day=transfer_day, cash_day=cash_day, cash_place=place
            )
        )
    for index, person in enumerate(PEOPLE):
        cccd = cccd_of(index, person)
        row = Beneficiary(
            cccd=cccd, full_name=person.name, date_of_birth=person.born, gender=person.gender,
            phone=phone_of(index, person), province=person.province, commune=commune_of(person),
            group_code=person.group, household_type=person.household, disability_level=person.disability,
            has_pension=person.pension, vneid_level=person.vneid_level,
        )  # fmt: skip
        session.add(row)
        session.flush()
        _seed_account(session, index, person, row)
        if person.benefit is None:
            continue
        channel = (
            "cash" if person.provider == "cash" else ("mobile_money" if person.provider in WALLET_PREFIX else "bank")
        )
        for first in months_back(today, 12):
            try:
                amount = rules.amount(person.benefit, first).amount_vnd
            except LookupError:
                continue  # the benefit did not exist yet that month
            status, when = payment_status(index, person, first, today)
            session.add(Payment(
                beneficiary_id=row.id, period=first.strftime("%Y-%m"),
                program=PROGRAM_OF_GROUP.get(person.group, "BTXH"), amount_vnd=amount,
                status=status, status_date=when, channel=channel,
            ))  # fmt: skip
    # One relative already authorised in VNeID, to show proxy access.
    session.add(
        ProxyAuthorisation(
            beneficiary_id=1,
            proxy_name="Nguyễn Văn Bình",
            relation="child",
            scope="view",
            status="active",
            granted_by="vneid",
        )
    )
    return len(PEOPLE)


def _seed_account(session: Session, index: int, person: Person, row: Beneficiary) -> None:
    """The provider's record of the person's account, shaped so its link ends as `person.link`."""
    if person.provider == "cash":
        return
    number = account_of(index, person)
    holder, id_number, status = person.name.upper(), row.cccd, "active"
    reason = person.link.partition(":")[2]
    if reason == "name_mismatch":
        holder = person.name.split()[-1].upper() + " " + person.name.split()[0].upper()
    elif reason == "old_id_number":
        id_number = f"{180000000 + index:09d}"
    elif reason in ("account_closed", "account_locked"):
        status = reason.removeprefix("account_")
    elif reason == "phone_not_owner":
        id_number = cccd_of(index + 1, PEOPLE[(index + 1) % len(PEOPLE)])
    session.add(
        ProviderAccount(
            provider=person.provider, account_number=number, holder_name=holder, id_number=id_number, status=status
        )
    )
    if reason == "name_mismatch":
        # The fix the demo shows: a bank account in the person's own name, not linked yet.
        session.add(
            ProviderAccount(
                provider="AGRIBANK", account_number=spare_account_of(index), holder_name=person.name.upper(),
                id_number=row.cccd, status="active",
            )
        )  # fmt: skip
    if person.link == "none":
        return
    state = person.link.partition(":")[0]
    created = datetime(2026, 1, 1) + timedelta(days=index * 3)
    session.add(LinkRequest(
        beneficiary_id=row.id, provider=person.provider, account_number=number, status=state,
        reason_code=reason or None, idempotency_key=f"seed-{index}", created_at=created,
        decided_at=None if state == "pending" else created + timedelta(minutes=1),
    ))  # fmt: skip


def demo_people() -> list[tuple[str, str, str]]:
    """(name, masked CCCD, what to try) for the start-up banner."""
    shown = (0, 1, 2, 8, 19)
    return [(PEOPLE[i].name, "…" + cccd_of(i, PEOPLE[i])[-4:], PEOPLE[i].link) for i in shown]


def main() -> None:
    """`python -m services.seed`: migrate, seed once, and say who the demo people are.

    The runtime starts this as a process (bot/ never imports services/) and reads the last line
    with `--json`.
    """
    from core.settings import get_settings

    parser = argparse.ArgumentParser(description="Create the services' database and seed demo data")
    parser.add_argument("--database-url", default=get_settings().database_url)
    parser.add_argument("--json", action="store_true", help="print the demo people as JSON on the last line")
    args = parser.parse_args()
    migrate(args.database_url)
    with transaction(session_factory(make_engine(args.database_url))) as session:
        added = seed(session, date.today())
    if args.json:
        people = [{"name": name, "cccd": masked, "shows": shows} for name, masked, shows in demo_people()]
        print(json.dumps({"added": added, "demo_people": people}, ensure_ascii=False))
    else:
        print(f"database ready; {added} demo people added" if added else "database ready; demo data already there")


if __name__ == "__main__":
    main()
