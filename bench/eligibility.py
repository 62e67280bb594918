"""`make bench` (eligibility part): conversations written from the law, played through the interview.

Each case is what a person would type first (self, relative or call-centre agent; with and without
diacritics, teencode), the facts of their situation (their answers to whatever is asked), and the
amount the law gives (DOMAIN.md tables, the annexes of NĐ 75/2021, 55/2023, 77/2024), worked out
by hand. The conversation goes through the same functions as the Rasa actions (core/eligibility/
dialogue.py reads each message, the engine picks the question, wording words the answer), with a
fixed "today". Reported: accuracy of the final amount, questions asked (median, max), questions about
a fact the person had already said, and the characters of the first answer.

Run alone: `python -m bench.eligibility` (updates the eligibility part of bench/results.json).
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from core.eligibility import Evaluation, Facts, evaluate_range
from core.eligibility.dialogue import follow_up, opening
from core.eligibility.wording import FIRST_ANSWER_MAX, first_answer, period_label, render_question

TODAY = date(2026, 1, 15)
OUT = Path(__file__).resolve().parent
MAX_TURNS = 12


@dataclass(frozen=True)
class Case:
    name: str
    say: str  # the first message
    truth: dict[str, Any]  # the person's situation: how they answer any question
    expect: int | None | tuple[int, ...]  # monthly + care (or funeral) amount; a tuple per stretch of a year
    said: tuple[str, ...] = ()  # facts the first message states: never to be asked


CASES: list[Case] = [
    # --- người cao tuổi (điểm a–d khoản 5 Điều 5 NĐ 20/2021; Điều 21 Luật BHXH 2024) ---
    Case("k5c 82 tuổi không lương hưu, người thân hỏi", "mẹ tôi 82 tuổi không có lương hưu thì được trợ cấp gì",
         {"household_type": "none", "disability_level": "none"}, 500_000, ("age", "has_pension")),
    Case("k5a từ 80, không dấu", "ba toi 85 tuoi ko co luong huu, nha ngheo, ko co ai phung duong",
         {"disability_level": "none", "taken_in_by_carer": False}, 1_000_000,
         ("age", "has_pension", "household_type", "has_supporter")),
    Case("hưu trí xã hội 78 tuổi hộ cận nghèo", "bà nội em 78 tuổi, hộ cận nghèo",
         {"has_pension": False, "disability_level": "none"}, 500_000, ("age", "household_type")),
    Case("hưu trí xã hội 72 tuổi hộ nghèo", "ông tôi 72 tuổi nhà nghèo không có lương hưu",
         {"has_supporter": True, "disability_level": "none"}, 500_000, ("age", "household_type", "has_pension")),
    Case("k5a 68 tuổi tự hỏi", "tôi 68 tuổi, hộ nghèo, không có con cái gì",
         {"has_pension": False, "disability_level": "none", "taken_in_by_carer": False}, 750_000,
         ("age", "household_type", "has_supporter")),
    Case("70 tuổi có lương hưu, không nghèo", "bác năm nay 70, nhà không nghèo, có lương hưu",
         {"disability_level": "none"}, 0, ("age", "household_type", "has_pension")),
    Case("k5d nhận chăm sóc tại cộng đồng", "bà ngoại em 80 tuổi nhà nghèo, sống một mình không nơi nương tựa",
         {"has_pension": False, "disability_level": "none", "taken_in_by_carer": True}, 1_500_000,
         ("age", "household_type", "has_supporter")),
    Case("k5c có con cháu phụng dưỡng, hộ nghèo",
         "me toi nam nay 83, khong luong huu, ho ngheo, co con chau phung duong",
         {"disability_level": "none", "taken_in_by_carer": False}, 500_000,
         ("age", "has_pension", "household_type", "has_supporter")),
    Case("teencode 81 tuổi", "ba e 81t ko co luong huu, nha k ngheo", {"disability_level": "none"}, 500_000,
         ("age", "has_pension", "household_type")),
    Case("lương hưu thấp hơn hưu trí xã hội", "tôi 76 tuổi, có lương hưu",
         {"pension_below_social_pension": True, "household_type": "none", "disability_level": "none"}, 500_000,
         ("age", "has_pension")),
    Case("cơ sở trợ giúp xã hội (Điều 25)", "mẹ tôi 90 tuổi đang ở trung tâm bảo trợ xã hội",
         {"has_pension": False}, 2_000_000, ("age", "in_facility")),
    # --- người khuyết tật (khoản 6 Điều 5; Điều 51 Luật NKT 2010; Điều 20 k2) ---
    Case("k6 người cao tuổi khuyết tật nặng", "mẹ tôi 65 tuổi khuyết tật nặng, không có lương hưu",
         {"household_type": "none"}, 1_000_000, ("age", "disability_level", "has_pension")),
    Case("Điều 51: có lương hưu thì không hưởng k6", "mẹ tôi 70 tuổi khuyết tật đặc biệt nặng, có lương hưu",
         {"household_type": "none", "family_cares": True}, 500_000, ("age", "disability_level", "has_pension")),
    Case("k6 đặc biệt nặng + hộ gia đình chăm sóc", "em trai tôi 35 tuổi khuyết tật đặc biệt nặng, nhà tôi chăm sóc em",
         {"has_pension": False, "household_type": "none"}, 1_000_000 + 500_000, ("age", "disability_level")),
    Case("k6 nặng 40 tuổi tự hỏi", "tôi 40 tuổi khuyết tật nặng, không có lương hưu",
         {"household_type": "none"}, 750_000, ("age", "disability_level", "has_pension")),
    Case("trẻ 8 tuổi khuyết tật đặc biệt nặng: con + gia đình", "con tôi 8 tuổi bị khuyết tật đặc biệt nặng",
         {"household_type": "none"}, 1_250_000 + 500_000, ("age", "disability_level")),
    Case("trẻ 5 tuổi khuyết tật nặng", "cháu nội tôi 5 tuổi khuyết tật nặng", {"household_type": "none"},
         1_000_000, ("age", "disability_level")),
    Case("Điều 51: trợ cấp BHXH hằng tháng", "anh trai tôi 45 tuổi khuyết tật nặng, đang hưởng trợ cấp BHXH hằng tháng",
         {"household_type": "none"}, 0, ("age", "disability_level", "has_pension")),
    Case("k6 90 tuổi không dấu", "ong ngoai em 90t, ko co luong huu, bi khuyet tat nang", {"household_type": "none"},
         1_000_000, ("age", "has_pension", "disability_level")),
    Case("chỉ mức cao nhất: k6 2,5 hơn k5a 2,0",
         "bố tôi 85 tuổi khuyết tật đặc biệt nặng, nhà nghèo, không có ai phụng dưỡng",
         {"has_pension": False, "family_cares": True}, 1_250_000 + 500_000,
         ("age", "disability_level", "household_type", "has_supporter")),
    Case("NKT nuôi con dưới 36 tháng (Điều 20 k2a)", "tôi 30 tuổi khuyết tật đặc biệt nặng, đang nuôi con 1 tuổi",
         {"has_pension": False, "household_type": "none", "family_cares": False}, 1_000_000 + 750_000,
         ("age", "disability_level", "infant_care")),
    Case("NKT mang thai và nuôi con nhỏ", "tôi 28 tuổi khuyết tật nặng, đang mang thai và nuôi 1 bé 2 tuổi",
         {"has_pension": False, "household_type": "none"}, 750_000 + 1_000_000,
         ("age", "disability_level", "infant_care")),
    # --- trẻ em (khoản 1–3, 7 Điều 5) ---
    Case("k1 dưới 4 tuổi mồ côi cả cha mẹ", "cháu tôi 3 tuổi mồ côi cả cha lẫn mẹ", {"disability_level": "none",
         "household_type": "none"}, 1_250_000, ("age", "orphan_situation")),
    Case("k1 bị bỏ rơi 10 tuổi", "bé nhà em 10 tuổi bị bỏ rơi, chưa ai nhận nuôi",
         {"disability_level": "none", "household_type": "none"}, 750_000, ("age", "orphan_situation")),
    Case("k1 mồ côi cha, mẹ đi tù", "cháu em 15 tuổi mồ côi cha, mẹ đang đi tù",
         {"disability_level": "none", "household_type": "none"}, 750_000, ("age", "orphan_situation")),
    Case("k2 17 tuổi đang học", "cháu tui 17 tuổi mồ côi cả cha lẫn mẹ đang học lớp 11, có còn được hưởng tiếp hông",
         {"disability_level": "none", "household_type": "none"}, 750_000,
         ("age", "orphan_situation", "studying", "was_receiving_child_allowance")),
    Case("k2 quá 22 tuổi", "tôi 25 tuổi, mồ côi cả cha mẹ, đang học đại học",
         {"disability_level": "none", "household_type": "none", "has_pension": False,
          "was_receiving_child_allowance": True},
         0, ("age", "orphan_situation", "studying")),
    Case("k3 trẻ nhiễm HIV hộ nghèo", "con tôi 6 tuổi nhiễm HIV, nhà nghèo", {"disability_level": "none",
         "orphan_situation": "none"}, 1_000_000, ("age", "hiv", "household_type")),
    Case("k7 dưới 3 tuổi vùng đặc biệt khó khăn", "bé nhà em 2 tuổi, nhà cận nghèo ở xã đặc biệt khó khăn",
         {"disability_level": "none", "orphan_situation": "none"}, 750_000,
         ("age", "household_type", "lives_in_special_area")),
    # --- đơn thân nghèo (khoản 4 Điều 5; khoản 2 Điều 6) ---
    Case("k4 mẹ đơn thân 2 con", "tôi là mẹ đơn thân nuôi 2 con 3 tuổi và 5 tuổi, nhà nghèo",
         {"age": 32, "disability_level": "none", "infant_care": "none", "has_pension": False}, 1_000_000,
         ("is_single_parent", "children_in_care", "household_type")),
    Case("k4 bố đơn thân 3 con không dấu", "minh la bo don than nuoi 3 dua con, ho can ngheo",
         {"age": 40, "disability_level": "none", "infant_care": "none", "has_pension": False}, 1_500_000,
         ("is_single_parent", "children_in_care", "household_type")),
    Case("k4 không nghèo", "tôi đơn thân nuôi 1 con 4 tuổi, nhà không nghèo",
         {"age": 30, "disability_level": "none", "infant_care": "none", "has_pension": False}, 0,
         ("is_single_parent", "household_type")),
    Case("k4 + k6 cả hai", "tôi 35 tuổi đơn thân, hộ nghèo, nuôi 2 con, bản thân khuyết tật nặng",
         {"has_pension": False, "infant_care": "none"}, 1_000_000 + 750_000,
         ("age", "is_single_parent", "household_type", "children_in_care", "disability_level")),
    Case("k4 + k5a cả hai", "tôi 62 tuổi, hộ nghèo, không có ai phụng dưỡng, đơn thân nuôi 1 con 12 tuổi",
         {"has_pension": False, "disability_level": "none", "taken_in_by_carer": False}, 500_000 + 750_000,
         ("age", "household_type", "has_supporter", "is_single_parent")),
    Case("k8 HIV hộ nghèo", "vợ tôi 40 tuổi nhiễm HIV, nhà nghèo",
         {"has_stable_income": False, "disability_level": "none", "is_single_parent": False, "infant_care": "none",
          "has_pension": False}, 750_000, ("age", "hiv", "household_type")),
    # --- người có công (Phụ lục I–III NĐ 77/2024), with trợ cấp xã hội / hưu trí xã hội beside ---
    Case("thương binh 61% 80 tuổi", "bố tôi là thương binh 61%, 80 tuổi",
         {"has_pension": False, "household_type": "none"}, 5_450_000 + 500_000, ("merit_group", "injury_rate", "age")),
    Case("thương binh 81% có phụ cấp", "tôi là thương binh 81%, 55 tuổi",
         {"especially_severe_wound": False, "household_type": "none", "infant_care": "none", "is_single_parent": False},
         7_240_000 + 1_399_000, ("merit_group", "injury_rate", "age")),
    Case("thương binh 81% vết thương đặc biệt nặng", "ck e la thuong binh 81% vet thuong dac biet nang, 60 tuoi",
         {"household_type": "none", "has_pension": True}, 7_240_000 + 2_867_000,
         ("merit_group", "injury_rate", "especially_severe_wound", "age")),
    Case("thương binh loại B 41%", "ông tôi là thương binh loại B 41%, 70 tuổi",
         {"household_type": "none", "has_pension": True}, 3_015_000, ("merit_group", "injury_rate", "age")),
    Case("bệnh binh 71%", "bố em là bệnh binh 71%, 66 tuổi", {"household_type": "none", "has_pension": True},
         5_329_000, ("merit_group", "injury_rate", "age")),
    Case("bệnh binh 91% bệnh tật đặc biệt nặng", "ba toi benh binh 91%, benh tat dac biet nang, 70 tuoi",
         {"household_type": "none", "has_pension": True}, 7_104_000 + 2_789_000,
         ("merit_group", "injury_rate", "especially_severe_wound", "age")),
    Case("chất độc hóa học 61%", "mẹ tôi nhiễm chất độc hóa học 61%, 72 tuổi",
         {"household_type": "none", "has_pension": True}, 4_964_000, ("merit_group", "injury_rate", "age")),
    Case("con của người nhiễm chất độc 85%", "tôi là con của người nhiễm chất độc da cam 85%, 45 tuổi",
         {"household_type": "none", "is_single_parent": False, "infant_care": "none"}, 2_789_000,
         ("merit_group", "age")),
    Case("Bà mẹ VNAH 95 tuổi", "bà nội em là Bà mẹ Việt Nam anh hùng, 95 tuổi", {"has_pension": False,
         "household_type": "none"}, 10_704_000 + 500_000, ("merit_group", "age")),
    Case("mẹ 1 liệt sĩ sống cô đơn", "mẹ tôi là mẹ của 1 liệt sĩ, 88 tuổi, sống cô đơn",
         {"has_pension": False, "household_type": "none"}, 2_789_000 + 2_231_000 + 500_000,
         ("merit_group", "martyrs_count", "age", "lives_alone")),
    Case("mẹ 2 liệt sĩ 75 tuổi + hưu trí xã hội", "mẹ tôi có 2 con là liệt sĩ, 75 tuổi",
         {"has_pension": False, "household_type": "none", "lives_alone": False}, 5_578_000 + 500_000,
         ("merit_group", "martyrs_count", "age")),
    Case("người bị địch bắt tù đày", "ông tôi bị địch bắt tù đày, 82 tuổi, có lương hưu",
         {"household_type": "none"}, 1_673_000, ("merit_group", "age", "has_pension")),
    Case("Huân chương Kháng chiến + hưu trí xã hội",
         "bà tôi được tặng huân chương kháng chiến, 79 tuổi, không có lương hưu",
         {"household_type": "none", "lives_alone": False}, 1_639_000 + 500_000, ("merit_group", "age", "has_pension")),
    # --- by date: the figures of the day asked about ---
    Case("năm 2023 thương binh 41%", "năm 2023 bố tôi là thương binh 41%, 65 tuổi, có lương hưu",
         {"household_type": "none"}, (2_135_000, 2_702_000), ("merit_group", "injury_rate", "age", "has_pension")),
    Case("tháng 10/2023 k5c", "tháng 10/2023 mẹ tôi 82 tuổi không có lương hưu",
         {"household_type": "none", "disability_level": "none"}, 360_000, ("age", "has_pension")),
    Case("năm 2022 k5a từ 80", "năm 2022 ông tôi 85 tuổi nhà nghèo không có ai phụng dưỡng",
         {"has_pension": False, "disability_level": "none", "taken_in_by_carer": False}, 720_000,
         ("age", "household_type", "has_supporter")),
    Case("tháng 3/2024 Bà mẹ VNAH", "tháng 3/2024 bà nội tôi là Bà mẹ Việt Nam anh hùng, 95 tuổi, không có lương hưu",
         {"household_type": "none"}, 6_165_000 + 1_722_000 + 360_000, ("merit_group", "age", "has_pension")),
    Case("tháng 8/2025: có hưu trí xã hội", "tháng 8/2025 ông tôi 76 tuổi không có lương hưu",
         {"household_type": "none", "disability_level": "none"}, 500_000, ("age", "has_pension")),
    Case("tháng 5/2025: chưa có hưu trí xã hội", "tháng 5/2025 ông tôi 76 tuổi không có lương hưu",
         {"household_type": "none", "disability_level": "none"}, 0, ("age", "has_pension")),
    # --- hỗ trợ mai táng (Điều 11, 14, 25 NĐ 20/2021) ---
    Case("mai táng: đang hưởng trợ cấp xã hội",
         "bố tôi đang hưởng trợ cấp xã hội vừa mất, được hỗ trợ mai táng bao nhiêu",
         {}, 10_000_000, ("deceased", "was_receiving")),
    Case("mai táng: hưu trí xã hội, mức chưa xác nhận", "mẹ tôi đang hưởng hưu trí xã hội, vừa qua đời",
         {}, None, ("deceased", "was_receiving")),
    Case("mai táng: 85 tuổi hưởng tuất BHXH", "bà tôi 85 tuổi hưởng tuất BHXH, vừa mất", {}, 10_000_000,
         ("deceased", "was_receiving", "age")),
    Case("mai táng: chết do tai nạn giao thông", "bố tôi vừa mất vì tai nạn giao thông, không hưởng trợ cấp gì",
         {}, 25_000_000, ("deceased", "was_receiving", "disaster_death")),
    Case("mai táng năm 2023", "năm 2023 mẹ tôi đang hưởng trợ cấp người cao tuổi thì mất", {}, 7_200_000,
         ("deceased", "was_receiving")),
    # --- kinh phí chăm sóc (Điều 20) ---
    Case("nhận nuôi bé bị bỏ rơi 2 tuổi", "tôi nhận nuôi một bé bị bỏ rơi 2 tuổi",
         {"age": 40, "disability_level": "none", "household_type": "none", "is_single_parent": False,
          "infant_care": "none", "has_pension": False}, 1_250_000, ("carer", "care_duty")),
    Case("nhận nuôi 2 trẻ mồ côi", "tôi nhận nuôi 2 cháu mồ côi 5 tuổi và 7 tuổi",
         {"age": 45, "disability_level": "none", "household_type": "none", "is_single_parent": False,
          "infant_care": "none", "has_pension": False}, 1_500_000, ("carer", "care_duty", "cared_count")),
    Case("nhận chăm sóc người khuyết tật đặc biệt nặng", "tôi nhận chăm sóc một người khuyết tật đặc biệt nặng",
         {"age": 50, "household_type": "none", "is_single_parent": False, "infant_care": "none", "has_pension": False},
         750_000, ("carer", "care_duty")),
    # --- call-centre agent ---
    Case("tổng đài: bà cụ 78 tuổi hộ nghèo", "khách hỏi bà ấy 78 tuổi, hộ nghèo, không có ai phụng dưỡng thì được gì",
         {"has_pension": False, "disability_level": "none", "taken_in_by_carer": False}, 750_000,
         ("age", "household_type", "has_supporter")),
    Case("tổng đài: khách 73 tuổi cận nghèo", "khach hang 73 tuoi nha can ngheo ko luong huu",
         {"disability_level": "none"}, 500_000, ("age", "household_type", "has_pension")),
    Case("tổng đài: thương binh 21%", "khách hàng là thương binh 21%, 50 tuổi",
         {"household_type": "none", "is_single_parent": False, "infant_care": "none"}, 1_878_000,
         ("merit_group", "injury_rate", "age")),
]  # fmt: skip


@dataclass
class Played:
    case: Case
    questions: list[str] = field(default_factory=list)
    repeats: list[str] = field(default_factory=list)  # questions about a fact the first message said
    missed: list[str] = field(default_factory=list)  # facts said but not read from the first message
    first_answer: str = ""
    got: int | None | tuple[int, ...] = -1
    seconds: float = 0.0

    @property
    def right(self) -> bool:
        return self.got == self.case.expect


def typed(question: dict[str, Any], value: Any, turn: int) -> str:
    """How a person types the answer: the button's number, or words, or a number with its unit."""
    kind = question["type"]
    if value is None:
        return "không biết"
    if kind == "bool":
        return "có" if value else "không"
    if kind == "age":
        return f"{value} tuổi"
    if kind == "rate":
        return f"{value}%"
    if kind in ("count", "month"):
        return str(value)
    for index, (option, label) in enumerate(question["options"], start=1):
        if option == value:
            return str(index) if turn % 2 == 0 else label
    return "không biết"


def _amount(result: Evaluation) -> int | None:
    if result.deceased:
        funerals = [item for item in result.one_time if not item.later]
        return funerals[0].amount_vnd if funerals else 0
    return result.monthly_total_vnd + result.care_total_vnd


def play(case: Case) -> Played:
    started = time.perf_counter()
    played = Played(case)
    turn = opening(case.say, TODAY)
    played.missed = [fact for fact in case.said if fact not in turn.facts]
    facts, about, period = turn.facts, turn.about, turn.period
    result = segments = None
    for index in range(MAX_TURNS):
        on, until = period or (TODAY, TODAY)
        result, segments = evaluate_range(Facts.from_dict(facts), on, until)
        question = result.next_question
        if question is None:
            break
        shown = render_question(question, about, Facts.from_dict(facts))
        played.questions.append(question.fact)
        if question.fact in case.said:
            played.repeats.append(question.fact)
        ask = {"fact": shown.fact, "type": shown.type, "options": [(o.value, o.label) for o in shown.options]}
        negative = {"bool": False, "count": 0}.get(question.type, "none" if question.type == "choice" else None)
        value = case.truth.get(question.fact, negative)
        reply = follow_up(facts, about, ask, typed(ask, value, index), TODAY)
        facts, about = reply.facts, reply.about
        period = reply.period or period
    assert result is not None and segments is not None
    when = period_label(*period) if period and period[0] != period[1] else ""
    played.first_answer = first_answer(result, about, Facts.from_dict(facts), when=when, segments=segments)
    if len(segments) > 1 and not result.deceased:
        played.got = tuple(segment.monthly_total_vnd for segment in segments)
    else:
        played.got = _amount(result)
    played.seconds = time.perf_counter() - started
    return played


def run() -> dict[str, Any]:
    plays = [play(case) for case in CASES]
    asked = [len(p.questions) for p in plays]
    chars = [len(p.first_answer) for p in plays]
    return {
        "conversations": len(plays),
        "today": TODAY.isoformat(),
        "final_amount_accuracy": sum(p.right for p in plays) / len(plays),
        "wrong": [{"case": p.case.name, "expected": p.case.expect, "got": p.got, "asked": p.questions} for p in plays
                  if not p.right],  # fmt: skip
        "questions_median": statistics.median(asked),
        "questions_max": max(asked),
        "questions_mean": round(statistics.mean(asked), 2),
        "repeated_questions": sum(len(p.repeats) for p in plays),
        "facts_missed_in_first_message": sum(len(p.missed) for p in plays),
        "missed": {p.case.name: p.missed for p in plays if p.missed},
        "first_answer_chars_median": statistics.median(chars),
        "first_answer_chars_max": max(chars),
        "first_answers_over_limit": sum(c > FIRST_ANSWER_MAX for c in chars),
        "first_answer_limit": FIRST_ANSWER_MAX,
        "seconds_per_conversation_median": round(statistics.median(p.seconds for p in plays), 3),
        "examples": [{"case": p.case.name, "say": p.case.say, "asked": p.questions, "answer": p.first_answer}
                     for p in plays[:: max(1, len(plays) // 8)]],  # fmt: skip
    }


def targets(results: dict[str, Any]) -> dict[str, bool]:
    return {
        "every final amount right": results["final_amount_accuracy"] == 1.0,
        "no question repeats a given fact": results["repeated_questions"] == 0,
        "median questions <= 2": results["questions_median"] <= 2,
        "first answer fits one phone screen (<= 300 chars)": results["first_answers_over_limit"] == 0,
    }


def summarise(results: dict[str, Any]) -> str:
    met = targets(results)
    lines = [
        "# Eligibility benchmark",
        "",
        f"{results['conversations']} conversations written from the law (bench/eligibility.py), played through the "
        f"same functions as the Rasa actions, on {results['today']}.",
        "",
        "| | |",
        "|---|---|",
        f"| final amount right | {results['final_amount_accuracy']:.0%} |",
        f"| questions asked: median / mean / max | {results['questions_median']} / {results['questions_mean']} / "
        f"{results['questions_max']} |",
        f"| questions about a fact already said | {results['repeated_questions']} |",
        f"| facts said but not read from the first message | {results['facts_missed_in_first_message']} |",
        f"| first answer, characters: median / max (limit {results['first_answer_limit']}) | "
        f"{results['first_answer_chars_median']} / {results['first_answer_chars_max']} |",
        f"| time per conversation (median, s) | {results['seconds_per_conversation_median']} |",
        "",
        "Targets: " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in met.items()),
        "",
    ]
    for wrong in results["wrong"]:
        lines.append(f"- wrong: {wrong['case']}: expected {wrong['expected']}, got {wrong['got']}")
    return "\n".join(lines)


def update_results(results: dict[str, Any]) -> None:
    """Write the eligibility part of bench/results.json and summary.md, keeping the NLU part."""
    from bench.run import summarise as summarise_nlu

    path = OUT / "results.json"
    stored = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    stored["eligibility"] = results
    met = {k: v for k, v in stored.get("targets_met", {}).items() if not k.startswith("eligibility: ")}
    stored["targets_met"] = met | {f"eligibility: {k}": v for k, v in targets(results).items()}
    path.write_text(json.dumps(stored, ensure_ascii=False, indent=1), encoding="utf-8")
    nlu = summarise_nlu(stored) if "ours" in stored else ""
    (OUT / "summary.md").write_text(nlu + "\n" + summarise(results) + "\n", encoding="utf-8")


def main() -> None:
    results = run()
    update_results(results)
    print(summarise(results))


if __name__ == "__main__":
    main()
