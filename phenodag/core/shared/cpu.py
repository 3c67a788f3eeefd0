"""What this machine's CPU can do fast, detected at run time (never assumed).

Machines differ: one has AVX-512 with native bf16 (``avx512_bf16`` or AMX), the next
only AVX2, where torch emulates bf16 matrix products hundreds of times slower than
fp32. :func:`fast_bf16` says whether bf16 autocast is worth it here.
"""

from __future__ import annotations

import functools
import logging
import platform
from pathlib import Path

logger = logging.getLogger(__name__)

BF16_FLAGS = ("avx512_bf16", "amx_bf16")
"""CPU flags under which oneDNN runs bf16 matrix products natively."""


@functools.cache
def cpu_flags() -> frozenset[str]:
    """Return the CPU feature flags of ``/proc/cpuinfo`` (empty where there is none, e.g. macOS)."""
    info = Path("/proc/cpuinfo")
    if not info.exists():
        return frozenset()
    for line in info.read_text().splitlines():
        if line.startswith("flags"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def fast_bf16() -> bool:
    """Tell whether bf16 matrix products run natively on this CPU (x86 with avx512_bf16 or AMX)."""
    fast = platform.machine() in {"x86_64", "AMD64"} and any(f in cpu_flags() for f in BF16_FLAGS)
    logger.debug("bf16 %s on this CPU", "native" if fast else "emulated or absent")
    return fast


def describe() -> str:
    """One line for logs and MLflow params: the SIMD level and whether bf16 is native."""
    flags = cpu_flags()
    simd = next((s for s in ("avx512f", "avx2", "avx", "neon") if s in flags), "unknown")
    return f"{platform.machine()} {simd}, bf16 {'native' if fast_bf16() else 'emulated'}"
