"""The eligibility API over real HTTP: stateless pre-check, dated answers, worded replies, bad input refused.

The legal cases themselves are tables in tests/core/test_eligibility_*.py; here the service's side.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml

from core.eligibility import Facts


def client(services):  # noqa: ANN201 - a requests session with the actions credential
    return services.client()


def url(services, path: str) -> str:
    return f"{services.url}/eligibility/v1{path}"


def test_evaluate_over_http(services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    body = {"facts": {"age": 85, "has_pension": False, "household_type": "unknown"}, "on": "2026-01-15"}
    answer = client(services).post(url(services, "/evaluate"), json=body, timeout=10)
    assert answer.status_code == 200
    result = answer.json()
    assert result["monthly_total_vnd"] == 500_000 and result["complete"] is False
    assert result["next_question"]["fact"] in {"has_supporter", "disability_level", "taken_in_by_carer"}
    assert {b["key"] for b in result["benefits"]} == {"btxh_k5c", "htxh"}
    assert result["undecided"][0]["fact"] == "household_type"
    assert "UBND xã/phường/đặc khu" in result["where_to_apply"][0]["text"]
    assert result["answer"]["first"].startswith("Dạ, Bác được trợ cấp người cao tuổi 500.000")
    # The province's higher standard (LOCAL_STANDARD_VND) is read per request.
    monkeypatch.setenv("LOCAL_STANDARD_VND", "600000")
    local = client(services).post(url(services, "/evaluate"), json=body, timeout=10).json()
    assert local["standard_vnd"] == 600_000 and local["monthly_total_vnd"] == 600_000


def test_the_answer_names_the_person_asked_about(services) -> None:
    body = {"facts": {"age": 82, "has_pension": False}, "on": "2026-01-15",
            "about": {"speaker": "relative", "relation": "mother", "kin": "má", "address": "Bác"}}  # fmt: skip
    result = client(services).post(url(services, "/evaluate"), json=body, timeout=10).json()
    assert result["next_question"]["text"].startswith(("Má Bác", "Gia đình"))
    assert result["answer"]["first"].startswith("Dạ, má Bác được")


def test_a_year_is_answered_stretch_by_stretch(services) -> None:
    """Thương binh 41% asking about 2023: NĐ 75/2021 until 30/6, NĐ 55/2023 from 1/7 — never 0."""
    body = {"facts": {"age": 50, "merit_group": "war_invalid", "injury_rate": 41, "disability_level": "none",
                      "household_type": "none", "is_single_parent": False, "infant_care": "none"},
            "on": "2023-01-01", "until": "2023-12-31"}  # fmt: skip
    result = client(services).post(url(services, "/evaluate"), json=body, timeout=10).json()
    assert [(s["start"], s["end"], s["monthly_total_vnd"]) for s in result["segments"]] == [
        ("2023-01-01", "2023-06-30", 2_135_000), ("2023-07-01", "2023-12-31", 2_702_000)]  # fmt: skip
    assert "năm 2023" in result["answer"]["first"] and "2.135.000" in result["answer"]["first"]
    assert "Phụ lục II NĐ 55/2023/NĐ-CP" in result["answer"]["details"]


def test_bad_input_is_refused_without_echoing_the_value(services, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret = {"facts": {"household_type": "SECRET-VALUE-42"}}
    refused = client(services).post(url(services, "/evaluate"), json=secret, timeout=10)
    assert refused.status_code == 400 and refused.json()["error"] == "bad_fact"
    assert "SECRET" not in refused.text and "SECRET" not in caplog.text
    about = {"facts": {}, "about": {"relation": "mother", "kin": "Nguyễn Thị SECRET"}}
    assert client(services).post(url(services, "/evaluate"), json=about, timeout=10).json()["error"] == "bad_fact"
    assert (
        client(services).post(url(services, "/evaluate"), json={"facts": [1]}, timeout=10).json()["error"]
        == "bad_facts"
    )
    bad_date = client(services).post(url(services, "/evaluate"), json={"facts": {}, "on": "15/01/2026"}, timeout=10)
    assert bad_date.json()["error"] == "bad_date"
    backwards = {"facts": {}, "on": "2026-01-15", "until": "2025-01-01"}
    assert client(services).post(url(services, "/evaluate"), json=backwards, timeout=10).json()["error"] == "bad_date"
    early = client(services).post(url(services, "/evaluate"), json={"on": "2020-01-01"}, timeout=10)
    assert early.json()["error"] == "date_out_of_range"
    assert client(services).post(url(services, "/evaluate"), data="nope", timeout=10).status_code == 400


def test_benefits_of_a_group_at_a_rate(services) -> None:
    params = {"topic": "war_invalid", "rate": 81, "on": "2026-01-15"}
    rows = client(services).get(url(services, "/benefits"), params=params, timeout=10).json()["benefits"]
    assert [(r["key"], r["amount_vnd"]) for r in rows] == [
        ("ncc_war_invalid", 7_240_000),
        ("ncc_allowance_81", 1_399_000),
        ("ncc_war_invalid_special", 2_867_000),
    ]
    assert rows[0]["citation"] == "Phụ lục II NĐ 77/2024/NĐ-CP"
    funeral = client(services).get(
        url(services, "/benefits"), params={"topic": "funeral", "on": "2026-01-15"}, timeout=10
    )
    amounts = {r["key"]: r["amount_vnd"] for r in funeral.json()["benefits"]}
    assert amounts["funeral_btxh"] == 10_000_000 and amounts["funeral_htxh"] is None  # unknown, not 0
    bad = client(services).get(url(services, "/benefits"), params={"topic": "war_invalid", "rate": "x"}, timeout=10)
    assert bad.status_code == 400


def test_openapi_documents_the_evaluate_body() -> None:
    spec = yaml.safe_load(Path("services/api/openapi.yaml").read_text(encoding="utf-8"))
    described = set(spec["components"]["schemas"]["Facts"]["properties"])
    assert described == Facts.names()
    request = spec["paths"]["/eligibility/v1/evaluate"]["post"]["requestBody"]["content"]["application/json"]
    assert {"facts", "on", "until", "about"} <= set(request["schema"]["properties"])


def test_the_early_answer_travels_with_the_first_question(services) -> None:
    body = {"facts": {"age": 62, "disability_level": "severe", "has_pension": True}, "on": "2026-01-15",
            "about": {"speaker": "relative", "relation": "father", "kin": "bố", "address": "Bác"}}  # fmt: skip
    result = client(services).post(url(services, "/evaluate"), json=body, timeout=10).json()
    assert result["complete"] is False
    assert result["answer"]["early"].startswith("Dạ, bố Bác không được trợ cấp người khuyết tật")
    body["facts"] = {"age": 82, "has_pension": False}
    assert client(services).post(url(services, "/evaluate"), json=body, timeout=10).json()["answer"]["early"] == ""


def test_a_fact_asked_first_is_asked_first_and_an_unknown_one_refused(services) -> None:
    body = {"facts": {}, "on": "2026-01-15", "ask_first": ["disability_level"]}
    result = client(services).post(url(services, "/evaluate"), json=body, timeout=10).json()
    assert result["next_question"]["fact"] == "disability_level"
    refused = client(services).post(url(services, "/evaluate"), json={**body, "ask_first": ["password"]}, timeout=10)
    assert refused.status_code == 400 and refused.json()["error"] == "bad_fact"
