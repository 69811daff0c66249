"""Jobs that need only CPU (the older ansible-core releases' ansible-test sanity and unit tests), run
niced in one background thread from the moment the session knows it will want them, so they use the
CPU the suite leaves idle while it waits on servers; the tests that check them wait for their result."""
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Job:
    name: str
    argv: list
    env: dict = None
    cwd: str = None
    timeout: int = 1800
    done: threading.Event = field(default_factory=threading.Event)
    returncode: int = None
    output: str = ""
    seconds: float = 0.0
    process: subprocess.Popen = None

    def run(self):
        start = time.monotonic()
        try:
            self.process = subprocess.Popen(["nice", "-n", "10"] + self.argv, env=self.env, cwd=self.cwd,
                                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                            start_new_session=True)
            self.output = self.process.communicate(timeout=self.timeout)[0]
            self.returncode = self.process.returncode
        except subprocess.TimeoutExpired:
            self.stop()
            self.output = self.process.communicate()[0]
            self.returncode = -1
            self.output += f"\n{self.name}: timed out after {self.timeout} s"
        finally:
            self.seconds = time.monotonic() - start
            self.done.set()

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)


_jobs = {}
_lock = threading.Lock()


def start(jobs):
    """Queue jobs (skipping names already queued) and run them one after another in a thread."""
    with _lock:
        new = [job for job in jobs if job.name not in _jobs]
        for job in new:
            _jobs[job.name] = job
    if new:
        threading.Thread(target=lambda: [job.run() for job in new], daemon=True, name="zotops-background").start()


def result(job):
    """The finished job of that name (started now if nobody started it)."""
    start([job])
    queued = _jobs[job.name]
    queued.done.wait()
    return queued


def stop_all():
    for job in list(_jobs.values()):
        job.stop()
