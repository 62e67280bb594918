"""What a first message says about the person to verify: a name (actions/identity.py name_in)."""

import pytest

from actions.identity import name_in


@pytest.mark.parametrize(
    ("text", "name"),
    [("tôi là Nguyễn Văn An, muốn xác thực danh tính", "Nguyễn Văn An"),
     ("xac thuc giup toi, ten toi la Nguyen Van An", "Nguyen Van An"),
     ("khách hàng Nguyễn Văn An sinh ngày 12/3/1941 cần xác thực", "Nguyễn Văn An"),
     ("KH Trần Thị Bình, CCCD 001044100001, muốn xem tiền", "Trần Thị Bình"),
     ("tên bác là bùi văn hùng nhé", "Bùi Văn Hùng"), ("họ tên: Lê Thị Cúc", "Lê Thị Cúc"),
     ("Xác thực cho Đỗ Thị Kim", "Đỗ Thị Kim"),
     ("Xác thực danh tính", None), ("Tôi muốn xác thực", None), ("Cho Bác Xác Thực", None)],
)  # fmt: skip
def test_a_name_said_with_the_request_is_found(text: str, name: str | None) -> None:
    assert name_in(text) == name
