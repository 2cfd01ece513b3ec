"""The photo threads: a small pool per process, and slots bounding the photos it holds decoded.

Pillow's decoders, resampling and encoders release the GIL, so a photo cleaned on the photo threads
leaves the request's own thread free to read and write the database meanwhile; one photo's halves
(full-size JPEG, thumbnail) and the photos of one report are cleaned side by side. The pool is small
and shared by the process's requests, and a photo takes a slot before it is decoded and frees it
once both of its files are written: a process never holds more than `threads` photos decoded
(about 9 MB each for a 12 MP photo), whatever the number of request threads or photos per report.
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor


class PhotoWorkers:
    """A process's photo threads and their decoded-photo slots."""

    def __init__(self, threads: int) -> None:
        if threads < 1:
            raise ValueError("photo threads must be at least 1")
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="photo")
        self._slots = threading.BoundedSemaphore(threads)

    def take_slot(self) -> None:
        """Block until fewer than `threads` photos are held decoded, and count one more. Called by
        request threads only, never by a photo thread: the tasks that free slots never wait for one."""
        self._slots.acquire()

    def free_slot(self) -> None:
        self._slots.release()


_workers: dict[int, PhotoWorkers] = {}
_workers_lock = threading.Lock()


def workers_with(threads: int) -> PhotoWorkers:
    """This process's photo workers with `threads` threads (started on first use)."""
    with _workers_lock:
        workers = _workers.get(threads)
        if workers is None:
            workers = _workers[threads] = PhotoWorkers(threads)
        return workers


def _forget_workers_after_fork() -> None:
    # A forked worker inherits the parent's pool objects but not their threads.
    global _workers_lock
    _workers.clear()
    _workers_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_workers_after_fork)
