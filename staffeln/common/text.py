"""Text that came from outside, made safe to store and to quote."""

#: Characters of a value quoted back in a message.
QUOTED = 40


def quote(value, limit: int = QUOTED) -> str:
    """``repr(value)``, cut to ``limit`` characters for a message."""
    quoted = repr(value)
    if len(quoted) > limit:
        quoted = quoted[:limit - 4] + '...' + quoted[-1]
    return quoted


def clip(value: str | None, size: int = 255) -> str | None:
    """``value`` cut to ``size`` characters (None stays None)."""
    return value[:size] if isinstance(value, str) else value
