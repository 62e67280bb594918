"""The demo data covers what a demo needs: every group, account state and payment status."""

from datetime import date

from sqlalchemy import select

from core.identity import check_cccd
from core.values import GROUP_CODES, PAYMENT_STATUSES
from services.db import make_engine, session_factory, transaction
from services.models import Beneficiary, LinkRequest, Payment
from services.seed import seed


def test_seed_covers_groups_accounts_and_statuses(seeded_url: str) -> None:
    with transaction(session_factory(make_engine(seeded_url))) as session:
        people = session.execute(select(Beneficiary)).scalars().all()
        links = session.execute(select(LinkRequest)).scalars().all()
        payments = session.execute(select(Payment)).scalars().all()
        never_linked = [p for p in people if not p.link_requests]
        assert seed(session, date.today()) == 0  # a second seed adds nothing
    assert len(people) >= 30
    assert {p.group_code for p in people} == GROUP_CODES
    assert all(check_cccd(p.cccd, p.date_of_birth.year).ok for p in people)
    assert {link.status for link in links} >= {"verified", "pending", "refused"}
    assert len({link.reason_code for link in links if link.status == "refused"}) >= 5
    assert never_linked
    assert {p.status for p in payments} == set(PAYMENT_STATUSES)
    periods = {p.period for p in payments}
    assert len(periods) == 12 and date.today().strftime("%Y-%m") in periods


def test_migrate_creates_the_sqlite_folder_of_a_fresh_clone(tmp_path) -> None:
    from services.db import migrate

    url = f"sqlite:///{tmp_path / 'var' / 'nested' / 'services.db'}"
    migrate(url)
    assert (tmp_path / "var" / "nested" / "services.db").is_file()
