"""The tests' name for hqt.capi (the supported ctypes bindings, once kept here)."""

from hqt.capi import *  # noqa: F403
from hqt.capi import (  # noqa: F401  (names the star import leaves out or tests use by name)
    ENGINE_P,
    HQT_KEEP,
    STATUS,
    STRUCTS,
    SYMBOL_SPEC_V2_FIRST_SIZE,
    last_error,
    load,
    usd_spec,
)
