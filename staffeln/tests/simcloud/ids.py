"""Deterministic ids: the same operations in the same order, the same ids."""

from __future__ import annotations

import random
import threading
import uuid


class IdFactory:
    def __init__(self, seed: int | str = 0) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def uuid(self) -> str:
        """A version 4 UUID with dashes (Nova and Cinder ids)."""
        with self._lock:
            bits = self._rng.getrandbits(128)
        return str(uuid.UUID(int=bits, version=4))

    def hex(self) -> str:
        """A version 4 UUID without dashes (Keystone ids)."""
        return self.uuid().replace('-', '')

    def uuids(self, count: int) -> list[str]:
        """Many UUIDs at once (seeding 100,000 servers)."""
        with self._lock:
            getbits = self._rng.getrandbits
            return [str(uuid.UUID(int=getbits(128), version=4))
                    for _ in range(count)]
