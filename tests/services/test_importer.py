"""`make import-data`: all rows or none, every bad row reported with its line number."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from services.db import make_engine, session_factory, transaction
from services.importer import COLUMNS, import_folder, main
from services.models import Beneficiary, Payment, ProviderAccount

GOOD = {
    "beneficiaries.csv": [
        "001058012345,Nguyễn Văn Tư,1958-04-02,M,0912345678,Hà Nội,Phường Ba Đình,BTXH_K5A,poor,none,0",
        "079144000777,Lê Thị Năm,1944-09-09,f,01662345678,TP Hồ Chí Minh,Phường Bến Thành,btxh_k5c,NONE,none,0",
    ],
    "payments.csv": [
        "001058012345,2026-10,BTXH,750000,paid,2026-10-05,bank",
        "079144000777,2026-10,BTXH,500000,cash_at_commune,2026-10-10,cash",
    ],
    "bank_accounts.csv": [
        "VCB,0071001234567,NGUYEN VAN TU,001058012345,active",
        "viettel_money,0362345678,LE THI NAM,079144000777,active",
    ],
}


def write(folder: Path, files: dict[str, list[str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in files.items():
        (folder / name).write_text("\n".join([COLUMNS[name], *rows]) + "\n", encoding="utf-8")
    return folder


def counts(url: str) -> tuple[int, int, int]:
    with transaction(session_factory(make_engine(url))) as session:
        return tuple(
            session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Beneficiary, Payment, ProviderAccount)
        )  # type: ignore[return-value]


def test_good_folder_imports_everything_and_twice_changes_nothing(database_url: str, tmp_path: Path) -> None:
    folder = write(tmp_path / "good", GOOD)
    report = import_folder(folder, database_url)
    assert report.ok, report.errors
    assert report.counts == {"beneficiaries.csv": 2, "payments.csv": 2, "bank_accounts.csv": 2}
    assert counts(database_url) == (2, 2, 2)
    assert import_folder(folder, database_url).ok
    assert counts(database_url) == (2, 2, 2)
    with transaction(session_factory(make_engine(database_url))) as session:
        nam = session.execute(select(Beneficiary).where(Beneficiary.cccd == "079144000777")).scalar_one()
        wallet = session.execute(
            select(ProviderAccount).where(ProviderAccount.provider == "VIETTEL_MONEY")
        ).scalar_one()
    assert (nam.gender, nam.group_code, nam.household_type, nam.phone) == ("F", "BTXH_K5C", "none", "0362345678")
    assert wallet.account_number == "0362345678"  # old 11-digit number stored in today's form


def test_bad_rows_are_all_reported_and_nothing_is_imported(database_url: str, tmp_path: Path) -> None:
    files = {
        "beneficiaries.csv": [
            GOOD["beneficiaries.csv"][0],
            "001058012345,Trùng Số,1958-01-01,M,,Hà Nội,Ba Đình,NONE,none,none,0",  # line 3: duplicate CCCD
            "079144000777,Sai Năm,1945-09-09,F,,HCM,Bến Thành,NONE,none,none,0",  # line 4: birth year ≠ CCCD
            "001058012399,Sai Nhóm,1958-01-01,M,,Hà Nội,Ba Đình,BTXH_K9,none,none,2",  # line 5: group
        ],
        "payments.csv": [
            "001058012345,2026-13,BTXH,-5,pay,2026-10-05,bank",  # line 2: period
            "001058012345,2026-10,BTXH,750000,paid,05/10/2026,bank",  # line 3: date
            "001058012345,2026-09",  # line 4: too few columns
        ],
        "bank_accounts.csv": ["VCB,12ab,NGUYEN,001058012345,active", "MOMO,0912345678,A,001058012345,active"],
    }
    report = import_folder(write(tmp_path / "bad", files), database_url)
    assert not report.ok
    lines = {error.split(": ")[0] for error in report.errors}
    assert lines == {
        "beneficiaries.csv:3", "beneficiaries.csv:4", "beneficiaries.csv:5",
        "payments.csv:2", "payments.csv:3", "payments.csv:4",
        "bank_accounts.csv:2", "bank_accounts.csv:3",
    }  # fmt: skip
    assert counts(database_url) == (0, 0, 0)
    assert all("001058012345" not in error for error in report.errors)  # CCCDs are not echoed in full


def test_payment_for_unknown_person_rolls_back_the_whole_import(database_url: str, tmp_path: Path) -> None:
    files = {**GOOD, "payments.csv": [*GOOD["payments.csv"], "001058099999,2026-10,BTXH,750000,paid,2026-10-05,bank"]}
    report = import_folder(write(tmp_path / "orphan", files), database_url)
    assert [e.split(": ")[0] for e in report.errors] == ["payments.csv:4"]
    assert counts(database_url) == (0, 0, 0)


def test_wrong_header_and_missing_files(database_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "header"
    folder.mkdir()
    (folder / "payments.csv").write_text("cccd,period\n001058012345,2026-10\n", encoding="utf-8")
    assert import_folder(folder, database_url).errors[0].startswith("payments.csv:1:")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert not import_folder(empty, database_url).ok
    (empty / "beneficiaries.csv").write_bytes(b"\xff\xfe\x00binary")
    assert "UTF-8" in import_folder(empty, database_url).errors[0]


def test_command_line_exit_codes(tmp_path: Path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main([str(write(tmp_path / "ok", GOOD)), "--database-url", url]) == 0
    assert "2 dòng đã nhập" in capsys.readouterr().out
    bad = write(tmp_path / "ko", {"payments.csv": ["x,y,z,1,paid,2026-01-01,bank"]})
    assert main([str(bad), "--database-url", url]) == 1
    assert "payments.csv:2" in capsys.readouterr().err
