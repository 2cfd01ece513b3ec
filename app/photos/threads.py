"""The photo threads: a small pool per process.

Pillow's decoders, resampling and encoders release the GIL, so a photo cleaned on a photo thread
leaves the request's own thread free to read and write the database meanwhile, and the photos of
one report are cleaned side by side. The pool is small and shared by the process's requests: it
also bounds how many decoded photos are in memory at once, whatever the number of request threads.
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def photo_workers(threads: int) -> ThreadPoolExecutor:
    """This process's pool of `threads` photo threads (started on first use)."""
    if threads < 1:
        raise ValueError("photo threads must be at least 1")
    with _pools_lock:
        pool = _pools.get(threads)
        if pool is None:
            pool = _pools[threads] = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="photo")
        return pool


def _forget_pools_after_fork() -> None:
    # A forked worker inherits the parent's pool objects but not their threads.
    global _pools_lock
    _pools.clear()
    _pools_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_pools_after_fork)
