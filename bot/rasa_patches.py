"""The one place where Rasa's internals are changed, each change guarded by a test (tests/bot/test_rasa_patches.py).

Applied by `bot.rasa_server`, the entry module the runtime starts instead of `rasa run`; nothing
else imports this module, so the action server, the tests and the bench's stock Rasa run Rasa as
shipped.

1. Custom-action responses are checked against Rasa's own schema by a validator built once.
   Rasa 3.6.21's `RemoteAction._validate_action_result` calls `jsonschema.validate`, which checks
   the schema against its meta-schema on every call (jsonschema 4.17, draft 2020-12 by default):
   about half of the Rasa server's CPU under load went there (issue 16). Rasa offers no setting
   or registration point for the class that runs remote actions, hence the patch. The same
   validator class, the same errors (best match first) and the same message are kept: an invalid
   response is still refused.

Each patch names the source hash of the function it replaces; `apply()` refuses to patch a Rasa
whose function differs, and the guard test fails, so an upgrade makes someone look again.
"""

from __future__ import annotations

import hashlib
import inspect
from typing import Any, Callable

PATCHED_MARK = "_tlas_patched"

# sha256 of inspect.getsource() of the replaced function in rasa 3.6.21.
VALIDATE_ACTION_RESULT_SHA256 = "f8cdb4be6812396167ced74161b2ccd65c5ea676ad86d7d359d8c322d9d8dc42"


class RasaChanged(RuntimeError):
    """The pinned Rasa is not the one these patches were written for."""


def source_sha256(function: Callable[..., Any]) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()


def _action_result_validator() -> Any:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)  # what jsonschema.validate would pick: the latest draft
    cls.check_schema(schema)  # once, here, instead of on every response
    return cls(schema)


def patch_action_result_validation() -> None:
    """RemoteAction._validate_action_result with a validator built once (see the module docstring)."""
    from jsonschema import ValidationError
    from jsonschema.exceptions import best_match
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    original = RemoteAction._validate_action_result
    if getattr(original, PATCHED_MARK, False):
        return
    if source_sha256(original) != VALIDATE_ACTION_RESULT_SHA256:
        raise RasaChanged("rasa.core.actions.action.RemoteAction._validate_action_result changed")
    validator = _action_result_validator()

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        error: ValidationError | None = best_match(validator.iter_errors(result))
        if error is not None:
            error.message += (
                f". Failed to validate Action server response from API, "
                f"make sure your response from the Action endpoint is valid. "
                f"For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise error
        return True

    setattr(_validate_action_result, PATCHED_MARK, True)
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


def apply() -> None:
    """Apply every patch (idempotent); raises RasaChanged if Rasa is not the pinned one."""
    patch_action_result_validation()
