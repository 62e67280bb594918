"""The CRF entity extractor on folded lemmas (bot/nlu/crf.py): tags, features, a small model trained here."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bench.nlu_eval import parse_example, strip_diacritics
from bot.nlu.crf import TOKENS, LemmaCRFEntityExtractor, bio_tags, decode, sentence_features, shape, size
from bot.nlu.normalizer import VietnameseTokenizer

TOKENIZER = VietnameseTokenizer(VietnameseTokenizer.get_default_config())


def message(text: str, entities: list[dict] | None = None) -> Message:
    msg = Message(data={TEXT: text, "intent": "inform", **({ENTITIES: entities} if entities else {})})
    TOKENIZER.process_training_data(TrainingData([msg]))
    return msg


def annotated(line: str) -> Message:
    example = parse_example(line, "inform")
    return message(example.text, [{"entity": n, "value": v, "start": s, "end": e} for n, v, s, e in example.entities])


def test_shape_tells_numbers_apart() -> None:
    assert shape("001144100002") == "d12z"
    assert shape("0983007920") == "d10z"
    assert shape("8800123456") == "d10"
    assert shape("khuyet") == "x"
    assert shape("t9x") == "xd"
    assert [size(n) for n in ("19036789012345", "0983007920", "82", "123456", "thang")] == [
        "long", "long", "short", "mid", "x"
    ]  # fmt: skip


def test_bio_tags_follow_the_annotation() -> None:
    msg = annotated('[mẹ]{"entity": "relation", "value": "mother"} tôi [khuyết tật]{"entity": '
                    '"beneficiary_group", "value": "disability"} [đặc biệt nặng]{"entity": "disability_level", '
                    '"value": "especially_severe"}')  # fmt: skip
    tags = bio_tags(msg.get(TOKENS), msg.get(ENTITIES))
    assert tags == ["B-relation", "O", "B-beneficiary_group", "I-beneficiary_group",
                    "B-disability_level", "I-disability_level", "I-disability_level"]  # fmt: skip


def test_decode_gives_spans_on_the_typed_text() -> None:
    msg = message("Má tui khuyết tật nặng")
    tokens = msg.get(TOKENS)
    entities = decode(msg.get(TEXT), tokens, ["B-relation", "O", "B-beneficiary_group", "I-beneficiary_group",
                                              "I-disability_level"], [0.9, 1, 0.8, 0.6, 0.5])  # fmt: skip
    assert [(e["entity"], e["value"], e["start"], e["end"]) for e in entities] == [
        ("relation", "Má", 0, 2),
        ("beneficiary_group", "khuyết tật", 7, 17),
        ("disability_level", "nặng", 18, 22),  # an I- tag without its B- opens an entity
    ]
    assert entities[1]["confidence_entity"] == pytest.approx(0.7)


def test_features_are_the_same_with_or_without_diacritics_and_case() -> None:
    text = "Mẹ tôi là thương binh, nhà cận nghèo, số 0983007920"
    variants = [text, strip_diacritics(text), strip_diacritics(text).upper()]
    features = [sentence_features(t, message(t).get(TOKENS)) for t in variants]
    assert features[0] == features[1] == features[2]
    by_word = {f["w"]: f for f in features[0]}
    assert by_word["thuong"]["grp"] == "B" and by_word["binh"]["grp"] == "I"
    assert by_word["me"]["rel"] == "1" and by_word["toi"]["own"] == "1"
    assert by_word["0983007920"]["shape"] == "d10z"


def e(text: str, name: str, value: str) -> str:
    return f'[{text}]{{"entity": "{name}", "value": "{value}"}}'


TRAINING = [
    f"{e('mẹ', 'relation', 'mother')} tôi là {e('thương binh', 'beneficiary_group', 'war_invalid')}",
    f"{e('bố', 'relation', 'father')} em bị {e('khuyết tật', 'beneficiary_group', 'disability')} "
    f"{e('nặng', 'disability_level', 'severe')}",
    f"{e('má', 'relation', 'mother')} tui {e('người cao tuổi', 'beneficiary_group', 'elderly')} được bao nhiêu",
    f"{e('ông nội', 'relation', 'grandfather')} tôi là {e('bệnh binh', 'beneficiary_group', 'sick_soldier')}",
    f"{e('con', 'relation', 'child')} tôi {e('khuyết tật', 'beneficiary_group', 'disability')} "
    f"{e('đặc biệt nặng', 'disability_level', 'especially_severe')}",
    "xin chào, tôi muốn hỏi",
    "cảm ơn nhiều nha",
    "tháng này đã có tiền chưa",
]


def test_a_trained_model_finds_entities_without_diacritics_and_survives_loading(tmp_path: Path) -> None:
    storage, resource = LocalModelStorage(tmp_path), Resource("crf")
    extractor = LemmaCRFEntityExtractor.create({}, storage, resource, None)  # type: ignore[arg-type]
    extractor.train(TrainingData([annotated(line) for line in TRAINING]))
    loaded = LemmaCRFEntityExtractor.load({}, storage, resource, None)  # type: ignore[arg-type]
    for text in ("bố tôi khuyết tật đặc biệt nặng", "BO TOI KHUYET TAT DAC BIET NANG"):
        (msg,) = loaded.process([message(text)])
        found = [(e["entity"], e["value"].lower()) for e in msg.get(ENTITIES)]
        assert found[0] == ("relation", "bố" if text[1] == "ố" else "bo")
        assert [name for name, _ in found] == ["relation", "beneficiary_group", "disability_level"], found
        assert all(e["extractor"] == "LemmaCRFEntityExtractor" for e in msg.get(ENTITIES))
    (msg,) = loaded.process([message("cảm ơn nhiều")])
    assert msg.get(ENTITIES) == []
