"""The ``[ESP32CAM]`` options as the connection will really use them."""
from __future__ import annotations

from logging import getLogger
from typing import Dict

from thonny import get_workbench

from thonnycontrib.esp32cam import BACKEND_NAME
from thonnycontrib.esp32cam.core.fastlink import SPEED_OPTION, coerce_setting
from thonnycontrib.esp32cam.core.lines import DEFAULT_DTR, DEFAULT_RTS, CoercedOption, coerce_line_option

logger = getLogger(__name__)

LINE_DEFAULTS = {"dtr": DEFAULT_DTR, "rts": DEFAULT_RTS}


def effective_line_options(log: bool = False) -> Dict[str, CoercedOption]:
    """``{"dtr": CoercedOption, "rts": CoercedOption}`` for the stored options.

    Values that are not real booleans never reach pyserial; with ``log=True``
    what was ignored goes to Thonny's frontend.log.
    """
    result = {}
    for name, default in LINE_DEFAULTS.items():
        raw = get_workbench().get_option(f"{BACKEND_NAME}.{name}")
        coerced = coerce_line_option(name, raw, default)
        if log and coerced.note:
            logger.warning("[%s] in configuration.ini: %s", BACKEND_NAME, coerced.note)
        result[name] = coerced
    return result


def effective_speed_setting(log: bool = False) -> str:
    """The serial speed setting the back-end gets ("auto", "115200", "921600", "auto:N");
    a garbage value in configuration.ini becomes "auto" (logged with ``log=True``)."""
    value, note = coerce_setting(get_workbench().get_option(f"{BACKEND_NAME}.{SPEED_OPTION}"))
    if log and note:
        logger.warning("[%s] %s in configuration.ini: %s", BACKEND_NAME, SPEED_OPTION, note)
    return value
