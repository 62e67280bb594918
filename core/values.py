"""The value sets of PRODUCT.md §5 that the importer and the APIs accept (case-insensitive)."""

from __future__ import annotations

from core.rules import load_yaml, loaded_once

GENDERS = {"M", "F"}
HOUSEHOLD_TYPES = {"poor", "near_poor", "none"}
DISABILITY_LEVELS = {"none", "severe", "especially_severe"}
GROUP_CODES = {f"BTXH_K{n}" for n in (1, 2, 3, 4, 6, 7, 8)} | {f"BTXH_K5{s}" for s in "ABCD"} | {"HTXH", "NCC", "NONE"}
PROGRAMS = {"BTXH", "HTXH", "NCC"}
PAYMENT_STATUSES = (
    "listed",
    "approved",
    "sent_to_treasury",
    "sent_to_bank",
    "paid",
    "failed",
    "returned",
    "cash_at_commune",
)
PAYMENT_CHANNELS = {"bank", "mobile_money", "cash"}
ACCOUNT_STATUSES = {"active", "closed", "locked"}
WALLETS = {"VIETTEL_MONEY", "VNPT_MONEY", "MOBIFONE_MONEY"}


@loaded_once  # loaded again when a rules file changes
def providers() -> dict[str, dict]:
    """Bank codes and wallets with their names and aliases (core/rules/providers.yaml)."""
    data = load_yaml("providers.yaml")
    return {**data["banks"], **data["wallets"]}


@loaded_once
def other_wallets() -> dict[str, dict]:
    """E-wallets that are not licensed Mobile Money (MoMo, ZaloPay…), recognised to answer honestly."""
    return dict(load_yaml("providers.yaml").get("other_wallets") or {})
