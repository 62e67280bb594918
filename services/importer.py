"""Load operators' CSV lists (PRODUCT.md §5) into the services' database, all or nothing.

Every bad row is reported with its file and line number; when any row is bad, nothing is
written. Rows that already exist (same CCCD, same payment period and program, same account)
are updated, so importing the same folder twice changes nothing.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import values
from core.identity import check_cccd
from core.phones import normalise_phone
from services.db import make_engine, migrate, session_factory, transaction
from services.models import Beneficiary, Payment, ProviderAccount

COLUMNS = {
    "beneficiaries.csv": "cccd,full_name,date_of_birth,gender,phone,province,commune,group_code,"
    "household_type,disability_level,has_pension",
    "payments.csv": "cccd,period,program,amount_vnd,status,status_date,channel",
    "bank_accounts.csv": "provider,account_number,holder_name,id_number,status",
}


class RowError(ValueError):
    """One bad field; the message is shown to the operator as it is."""


@dataclass
class ImportReport:
    errors: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _one_of(name: str, raw: str, allowed: set[str] | tuple[str, ...], upper: bool = False) -> str:
    value = raw.strip().upper() if upper else raw.strip().lower()
    if value not in allowed:
        raise RowError(f"{name} '{raw}' không hợp lệ (chấp nhận: {', '.join(sorted(allowed))})")
    return value


def _iso_date(name: str, raw: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError as error:
        raise RowError(f"{name} '{raw}' không phải ngày dạng YYYY-MM-DD") from error


def _required(name: str, raw: str, longest: int) -> str:
    value = " ".join(raw.split())
    if not value:
        raise RowError(f"thiếu {name}")
    if len(value) > longest:
        raise RowError(f"{name} dài quá {longest} ký tự")
    return value


def _cccd(raw: str) -> str:
    value = raw.strip()
    check = check_cccd(value)
    if not check.ok:
        raise RowError(f"cccd '{value[-4:]:*>12}' sai cấu trúc ({check.problem})")
    return value


def parse_beneficiary(row: dict[str, str]) -> dict[str, Any]:
    born = _iso_date("date_of_birth", row["date_of_birth"])
    cccd = _cccd(row["cccd"])
    gender = _one_of("gender", row["gender"], values.GENDERS, upper=True)
    check = check_cccd(cccd, born.year)
    if not check.ok:
        raise RowError("năm sinh không khớp với chữ số 4–6 của cccd")
    if check.gender != gender:
        raise RowError("giới tính không khớp với chữ số thứ 4 của cccd")
    phone = None
    if row["phone"].strip():
        parsed = normalise_phone(row["phone"])
        if parsed is None:
            raise RowError(f"phone '…{row['phone'].strip()[-4:]}' không phải số di động Việt Nam")
        phone = parsed.national
    return {
        "cccd": cccd,
        "full_name": _required("full_name", row["full_name"], 120),
        "date_of_birth": born,
        "gender": gender,
        "phone": phone,
        "province": _required("province", row["province"], 80),
        "commune": _required("commune", row["commune"], 120),
        "group_code": _one_of("group_code", row["group_code"], values.GROUP_CODES, upper=True),
        "household_type": _one_of("household_type", row["household_type"], values.HOUSEHOLD_TYPES),
        "disability_level": _one_of("disability_level", row["disability_level"], values.DISABILITY_LEVELS),
        "has_pension": _one_of("has_pension", row["has_pension"], {"0", "1"}) == "1",
    }


def parse_payment(row: dict[str, str]) -> dict[str, Any]:
    period = row["period"].strip()
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        raise RowError(f"period '{period}' phải có dạng YYYY-MM")
    amount = row["amount_vnd"].strip()
    if not amount.isdigit() or int(amount) <= 0:
        raise RowError(f"amount_vnd '{amount}' phải là số nguyên dương")
    return {
        "cccd": _cccd(row["cccd"]),
        "period": period,
        "program": _one_of("program", row["program"], values.PROGRAMS, upper=True),
        "amount_vnd": int(amount),
        "status": _one_of("status", row["status"], values.PAYMENT_STATUSES),
        "status_date": _iso_date("status_date", row["status_date"]),
        "channel": _one_of("channel", row["channel"], values.PAYMENT_CHANNELS),
    }


def parse_bank_account(row: dict[str, str]) -> dict[str, Any]:
    provider = _one_of("provider", row["provider"], set(values.providers()), upper=True)
    number = re.sub(r"[\s.\-]", "", row["account_number"])
    if provider in values.WALLETS:
        parsed = normalise_phone(number)
        if parsed is None:
            raise RowError("account_number của ví phải là số di động Việt Nam")
        number = parsed.national
    elif not re.fullmatch(r"\d{6,20}", number):
        raise RowError("account_number phải gồm 6–20 chữ số")
    id_number = row["id_number"].strip()
    if not re.fullmatch(r"\d{9}|\d{12}", id_number):
        raise RowError("id_number phải là CCCD 12 số hoặc CMND 9 số")
    return {
        "provider": provider,
        "account_number": number,
        "holder_name": _required("holder_name", row["holder_name"], 120),
        "id_number": id_number,
        "status": _one_of("status", row["status"], values.ACCOUNT_STATUSES),
    }


PARSERS: dict[str, Callable[[dict[str, str]], dict[str, Any]]] = {
    "beneficiaries.csv": parse_beneficiary,
    "payments.csv": parse_payment,
    "bank_accounts.csv": parse_bank_account,
}
KEYS = {
    "beneficiaries.csv": ("cccd",),
    "payments.csv": ("cccd", "period", "program"),
    "bank_accounts.csv": ("provider", "account_number"),
}


def parse_rows(name: str, rows: Iterable[dict[str, str | None]], report: ImportReport) -> list[dict[str, Any]]:
    """Check and convert the rows of one file (line 2 onwards), adding `name:line: problem` for each bad one."""
    expected = COLUMNS[name].split(",")
    parsed, seen = [], {}
    for line, raw in enumerate(rows, start=2):
        if None in raw or any(value is None for value in raw.values()):
            report.errors.append(f"{name}:{line}: số cột không đúng ({len(expected)} cột)")
            continue
        try:
            row = PARSERS[name](raw)  # type: ignore[arg-type]
        except RowError as error:
            report.errors.append(f"{name}:{line}: {error}")
            continue
        key = tuple(row[k] for k in KEYS[name])
        if key in seen:
            report.errors.append(f"{name}:{line}: trùng với dòng {seen[key]}")
            continue
        seen[key] = line
        parsed.append(row)
    return parsed


def read_file(path: Path, report: ImportReport) -> list[dict[str, Any]]:
    """Parse one CSV file, adding `name:line: problem` to the report for each bad row."""
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        report.errors.append(f"{name}: tệp không phải UTF-8")
        return []
    reader = csv.DictReader(text.splitlines())
    header = [column.strip() for column in (reader.fieldnames or [])]
    if sorted(header) != sorted(COLUMNS[name].split(",")):
        report.errors.append(f"{name}:1: tiêu đề phải là {COLUMNS[name]}")
        return []
    reader.fieldnames = header
    return parse_rows(name, reader, report)


def _upsert(session: Session, model: type, keys: dict[str, Any], fields: dict[str, Any]) -> None:
    existing = session.execute(select(model).filter_by(**keys)).scalar_one_or_none()
    if existing is None:
        session.add(model(**keys, **fields))
    else:
        for name, value in fields.items():
            setattr(existing, name, value)


def load(session: Session, parsed: dict[str, list[dict[str, Any]]], report: ImportReport) -> None:
    """Write parsed rows (beneficiaries first, so payments find their person); the caller's
    transaction is rolled back when the report has errors afterwards."""
    for row in parsed.get("beneficiaries.csv", []):
        _upsert(session, Beneficiary, {"cccd": row["cccd"]}, {k: v for k, v in row.items() if k != "cccd"})
    session.flush()
    ids = dict(session.execute(select(Beneficiary.cccd, Beneficiary.id)).all())
    for line, row in enumerate(parsed.get("payments.csv", []), start=2):
        person_id: int | None = ids.get(row["cccd"])
        if person_id is None:
            report.errors.append(f"payments.csv:{line}: cccd …{row['cccd'][-4:]} chưa có trong danh sách đối tượng")
            continue
        keys = {"beneficiary_id": person_id, "period": row["period"], "program": row["program"]}
        _upsert(session, Payment, keys, {k: row[k] for k in ("amount_vnd", "status", "status_date", "channel")})
    for row in parsed.get("bank_accounts.csv", []):
        keys = {"provider": row["provider"], "account_number": row["account_number"]}
        _upsert(session, ProviderAccount, keys, {k: row[k] for k in ("holder_name", "id_number", "status")})


def import_folder(folder: Path, database_url: str) -> ImportReport:
    report = ImportReport()
    present = [name for name in COLUMNS if (folder / name).is_file()]
    if not present:
        report.errors.append(f"{folder}: không có tệp nào trong {', '.join(COLUMNS)}")
        return report
    parsed = {name: read_file(folder / name, report) for name in present}
    if not report.ok:
        return report
    migrate(database_url)
    factory = session_factory(make_engine(database_url))
    with transaction(factory) as session:
        load(session, parsed, report)
        if not report.ok:
            session.rollback()
            return report
    report.counts = {name: len(rows) for name, rows in parsed.items()}
    return report


def main(argv: list[str] | None = None) -> int:
    from core.settings import get_settings

    parser = argparse.ArgumentParser(description="Import beneficiaries, payments and bank accounts from CSV")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--database-url", default=get_settings().database_url)
    args = parser.parse_args(argv)
    report = import_folder(args.folder, args.database_url)
    if not report.ok:
        print(f"Không nhập gì: {len(report.errors)} dòng lỗi.", file=sys.stderr)
        for error in report.errors:
            print(f"  {error}", file=sys.stderr)
        return 1
    for name, count in report.counts.items():
        print(f"{name}: {count} dòng đã nhập")
    return 0


if __name__ == "__main__":
    sys.exit(main())
