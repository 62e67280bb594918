"""Synthetic demo data: 32 invented people covering every group, account state and payment status.

The people are CSV files in services/demo/, loaded through the importer (services/importer.py)
exactly as an operator's lists would be: `beneficiaries.csv` and `bank_accounts.csv` in the
formats of PRODUCT.md §5, and `people.csv` with what only a demo needs (the benefit each person
receives, the account they receive it on and the state of its link, their VNeID level).
`commune_schedules.csv` holds the communes' payment days. Payments are generated relative to
today, so "tháng này" always has a payment in progress, and pass through the importer's checks.
Nothing here is a real person.
"""

from __future__ import annotations

import argparse
import csv
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.formatting import vietnam_today
from core.rules import load_rules
from core.values import WALLETS
from services.db import make_engine, migrate, session_factory, transaction
from services.importer import ImportReport, load, parse_rows, read_file
from services.models import Beneficiary, CommuneSchedule, LinkRequest
from services.vault import current_vault

DEMO_DIR = Path(__file__).resolve().parent / "demo"
PROGRAM_OF_GROUP = {"HTXH": "HTXH", "NCC": "NCC"}


@dataclass(frozen=True)
class Person:
    """One demo person: the registry row, and how the demo shows their money and their link."""

    index: int
    cccd: str
    name: str
    born: date
    gender: str
    phone: str
    province: str
    commune: str
    group: str
    household: str
    disability: str
    pension: bool
    benefit: str | None  # the benefit key in core/rules/benefits.yaml, None if none yet
    provider: str  # a bank code, a wallet, or "cash"
    account: str | None  # the receiving account (a wallet's is its phone number)
    link: str  # verified | pending | refused:<reason> | none
    vneid_level: int
    spare_account: str | None  # a correct account in the person's name, not linked yet (name_mismatch fix)


def _rows(name: str) -> list[dict[str, str]]:
    with open(DEMO_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@lru_cache(maxsize=1)
def demo_people() -> tuple[Person, ...]:
    """The demo people, read from services/demo/ (tests and the banner use them)."""
    extra = {row["cccd"]: row for row in _rows("people.csv")}
    accounts = _rows("bank_accounts.csv")
    people = []
    for index, row in enumerate(_rows("beneficiaries.csv")):
        more, holder = extra[row["cccd"]], row["full_name"].upper()
        account = more["account_number"] or None
        spare = next(
            (a["account_number"] for a in accounts
             if a["id_number"] == row["cccd"] and a["holder_name"] == holder and a["account_number"] != account),
            None,
        )  # fmt: skip
        people.append(
            Person(
                index=index, cccd=row["cccd"], name=row["full_name"], born=date.fromisoformat(row["date_of_birth"]),
                gender=row["gender"], phone=row["phone"], province=row["province"], commune=row["commune"],
                group=row["group_code"], household=row["household_type"], disability=row["disability_level"],
                pension=row["has_pension"] == "1", benefit=more["benefit"] or None, provider=more["provider"],
                account=account, link=more["link"], vneid_level=int(more["vneid_level"]), spare_account=spare,
            )
        )  # fmt: skip
    return tuple(people)


PEOPLE = list(demo_people())


# The helpers tests have always used, (index, person) -> value.
def cccd_of(index: int, person: Person | None = None) -> str:
    return PEOPLE[index].cccd


def phone_of(index: int, person: Person | None = None) -> str:
    return PEOPLE[index].phone


def account_of(index: int, person: Person | None = None) -> str:
    return PEOPLE[index].account or ""


def spare_account_of(index: int) -> str:
    return PEOPLE[index].spare_account or ""


def commune_of(person: Person) -> str:
    return person.commune


def months_back(today: date, count: int) -> list[date]:
    """First days of the `count` months ending with today's month, oldest first."""
    firsts, year, month = [], today.year, today.month
    for _ in range(count):
        firsts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(firsts))


def payment_status(person: Person, first: date, today: date) -> tuple[str, date]:
    """Older months are settled; this month is somewhere along the pipeline (PRODUCT.md 3.5)."""
    index = person.index
    if first.year == today.year and first.month == today.month:
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


def payment_rows(today: date) -> list[dict[str, str]]:
    """payments.csv rows for the last 12 months of every person with a benefit, as an operator would send them."""
    rules, rows = load_rules(), []
    for person in PEOPLE:
        if person.benefit is None:
            continue
        channel = "cash" if person.provider == "cash" else ("mobile_money" if person.provider in WALLETS else "bank")
        for first in months_back(today, 12):
            try:
                amount = rules.amount(person.benefit, first).amount_vnd
            except LookupError:
                continue  # the benefit did not exist yet that month
            status, when = payment_status(person, first, today)
            rows.append({
                "cccd": person.cccd, "period": first.strftime("%Y-%m"),
                "program": PROGRAM_OF_GROUP.get(person.group, "BTXH"), "amount_vnd": str(amount),
                "status": status, "status_date": when.isoformat(), "channel": channel,
            })  # fmt: skip
    return rows


def seed(session: Session, today: date) -> int:
    """Insert the demo people once, through the importer; returns how many were added (0 when already seeded)."""
    if session.execute(select(func.count(Beneficiary.id))).scalar_one():
        return 0
    report = ImportReport()
    parsed = {name: read_file(DEMO_DIR / name, report) for name in ("beneficiaries.csv", "bank_accounts.csv")}
    parsed["payments.csv"] = parse_rows("payments.csv", payment_rows(today), report)
    if report.ok:
        load(session, parsed, report)
    if not report.ok:
        raise ValueError("demo data does not pass the importer: " + "; ".join(report.errors[:5]))
    for row in _rows("commune_schedules.csv"):
        session.add(
            CommuneSchedule(
                province=row["province"], commune=row["commune"], transfer_day=int(row["transfer_day"]),
                cash_day=int(row["cash_day"]), cash_place=row["cash_place"],
            )
        )  # fmt: skip
    ids = dict(session.execute(select(Beneficiary.cccd, Beneficiary.id)).all())
    for person in PEOPLE:
        beneficiary_id = ids[person.cccd]
        if person.vneid_level != 2:
            session.get(Beneficiary, beneficiary_id).vneid_level = person.vneid_level
        _seed_link(session, person, beneficiary_id)
    return len(PEOPLE)


def _seed_link(session: Session, person: Person, beneficiary_id: int) -> None:
    """The person's earlier link request, in the state people.csv gives (its number encrypted)."""
    if person.link == "none" or not person.account:
        return
    state, _, reason = person.link.partition(":")
    created = datetime(2026, 1, 1) + timedelta(days=person.index * 3)
    session.add(LinkRequest(
        beneficiary_id=beneficiary_id, provider=person.provider, account_number=current_vault().seal(person.account),
        status=state, reason_code=reason or None, idempotency_key=f"seed-{person.index}", created_at=created,
        decided_at=None if state == "pending" else created + timedelta(minutes=1),
    ))  # fmt: skip


# A family for the helper demo (PRODUCT.md 3.7): Đỗ Văn Cường helps his mother Trần Thị Bình.
FAMILY_HELPER, FAMILY_MOTHER, FAMILY_FATHER = 32, 1, 33


def banner_people() -> list[dict[str, str]]:
    """Whom to try, for the start-up banner: name, masked CCCD, what their data shows, and for the
    mother of the helper demo the stand-in page that plays her phone's VNeID app."""
    from services.identity.helpers import device_of

    shown = (0, 1, 2, 8, 19, FAMILY_HELPER)
    people = [{"name": PEOPLE[i].name, "cccd": "…" + PEOPLE[i].cccd[-4:], "shows": PEOPLE[i].link} for i in shown]
    people[1]["vneid_phone"] = f"/vneid/devices/{device_of(PEOPLE[FAMILY_MOTHER].cccd)}/"
    return people


def main() -> None:
    """`python -m services.seed`: migrate, seed once, and say who the demo people are.

    The runtime starts this as a process (bot/ never imports services/) and reads the last line
    with `--json`.
    """
    from core.settings import get_settings

    parser = argparse.ArgumentParser(description="Create the services' database and seed demo data")
    parser.add_argument("--database-url", default=get_settings().database_url)
    parser.add_argument("--json", action="store_true", help="print the demo people as JSON on the last line")
    parser.add_argument("--migrate-only", action="store_true", help="bring the schema up to date, seed nobody")
    args = parser.parse_args()
    migrate(args.database_url)
    added = 0
    if not args.migrate_only:
        with transaction(session_factory(make_engine(args.database_url))) as session:
            added = seed(session, vietnam_today())
    if args.json:
        people = [] if args.migrate_only else banner_people()
        print(json.dumps({"added": added, "demo_people": people}, ensure_ascii=False))
    else:
        print(f"database ready; {added} demo people added" if added else "database ready; demo data already there")


if __name__ == "__main__":
    main()
