"""The Vietnamese normaliser on its own: words, whole sentences, and inside a Rasa message."""

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.normalizer import VietnameseTokenizer, fold, normalise_text, normalise_word


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("liên kết tài khoản", "lien ket tai khoan"),
        ("lien ket tai khoan", "lien ket tai khoan"),
        ("LIÊN KẾT TÀI KHOẢN", "lien ket tai khoan"),
        ("ta\u0300i kho\u1ea3n", "tai khoan"),  # decomposed (NFD) input
        ("t9 chưa nhận đc tiền j hết", "thang 9 chua nhan duoc tien gi het"),
        ("ko dc", "khong duoc"),
        ("k bt", "khong bt"),
        ("stk vcb", "so tai khoan vcb"),
        ("bn tiền 1 tháng", "bao nhieu tien 1 thang"),
        ("đăng ký ntn", "dang ky nhu the nao"),
        ("sđt 01662345678", "so dien thoai 0362345678"),  # old 11-digit Viettel prefix
        ("thg12", "thang 12"),
    ],
)
def test_sentences(typed: str, normalised: str) -> None:
    assert normalise_text(typed) == normalised


def test_words_and_folding() -> None:
    assert fold("Được") == "duoc" and fold("Đăng ký") == "dang ky"
    assert normalise_word("t13") == "t13"  # not a month
    assert normalise_word("0912345678") == "0912345678"


def test_tokenizer_keeps_offsets_and_sets_lemmas() -> None:
    tokenizer = VietnameseTokenizer(VietnameseTokenizer.get_default_config())
    message = Message.build(text="Toi muon lien ket TK ko")
    tokens = tokenizer.tokenize(message, "text")
    assert [t.text for t in tokens] == ["Toi", "muon", "lien", "ket", "TK", "ko"]
    assert [t.lemma for t in tokens] == ["toi", "muon", "lien", "ket", "tai khoan", "khong"]
    assert all(message.get("text")[t.start : t.end] == t.text for t in tokens)
    accented = tokenizer.tokenize(Message.build(text="Tôi muốn liên kết tài khoản không"), "text")
    assert [t.lemma for t in accented][:4] == [t.lemma for t in tokens][:4]
