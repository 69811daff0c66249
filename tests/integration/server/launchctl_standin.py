"""A stand-in for macOS's `launchctl`, for running zotops.zot.server's launchd path where there is no
macOS (as systemctl3.py stands in for systemctl). It is NOT launchd: it models what the role relies on.

Modelled (launchctl(1), launchd.plist(5)):
- `bootstrap <domain> <plist>`: reads the property list with plistlib, checks it against
  launchd.plist's documented keys and their types (an unknown key or a wrong type is refused, exit
  code 5, "Bootstrap failed: 5: Input/output error", as launchctl answers a plist it cannot load),
  loads the job and, with `RunAtLoad`, starts `ProgramArguments` with the plist's
  `EnvironmentVariables`, `WorkingDirectory`, `Umask` and `StandardOutPath`/`StandardErrorPath`.
  A job already loaded answers 5 too (launchctl: "Bootstrap failed: 5: Input/output error").
- `bootout <domain>/<label>`: stops the job (SIGTERM to its process group) and unloads it; an
  unknown service answers 3 ("Boot-out failed: 3: No such process").
- `kickstart -k <domain>/<label>`: kills the running instance and starts it again.
- `print <domain>/<label>`: the job's state and pid, exit code 0; an unknown service answers 113
  ('Could not find service "<label>" in domain for ...').
- `KeepAlive` `{SuccessfulExit: false}`: a job that exits non-zero is started again after
  `ThrottleInterval` seconds (default 10), as launchd does.
- Domains: `gui/<uid>` only for the calling user's own uid (a LaunchAgent; launchctl refuses another
  user's gui domain with 125 "Domain does not support specified action"), `system` only for root.

Not modelled: sockets, Mach services, calendar/interval starts, WatchPaths, resource limits, user
switching for LaunchDaemons (UserName/GroupName are validated, not applied), `launchctl load/unload`.
State (loaded jobs, their supervisors) lives in the directory given by LAUNCHCTL_STANDIN_STATE.
"""
import json
import os
import plistlib
import signal
import subprocess
import sys
import time
from pathlib import Path

STATE = Path(os.environ.get("LAUNCHCTL_STANDIN_STATE", "/nonexistent"))

# launchd.plist(5): every documented top-level key and its type.
STR, BOOL, INT, ARRAY, DICT = str, bool, int, list, dict
KEYS = {
    "Label": STR, "Disabled": BOOL, "UserName": STR, "GroupName": STR, "inetdCompatibility": DICT,
    "LimitLoadToHosts": ARRAY, "LimitLoadFromHosts": ARRAY, "LimitLoadToSessionType": (STR, ARRAY),
    "LimitLoadToHardware": DICT, "LimitLoadFromHardware": DICT, "Program": STR, "ProgramArguments": ARRAY,
    "EnableGlobbing": BOOL, "EnableTransactions": BOOL, "EnablePressuredExit": BOOL, "OnDemand": BOOL,
    "ServiceIPC": BOOL, "KeepAlive": (BOOL, DICT), "RunAtLoad": BOOL, "RootDirectory": STR,
    "WorkingDirectory": STR, "EnvironmentVariables": DICT, "Umask": (INT, STR), "TimeOut": INT,
    "ExitTimeOut": INT, "ThrottleInterval": INT, "InitGroups": BOOL, "WatchPaths": ARRAY,
    "QueueDirectories": ARRAY, "StartOnMount": BOOL, "StartInterval": INT, "StartCalendarInterval": (DICT, ARRAY),
    "StandardInPath": STR, "StandardOutPath": STR, "StandardErrorPath": STR, "Debug": BOOL,
    "WaitForDebugger": BOOL, "SoftResourceLimits": DICT, "HardResourceLimits": DICT, "Nice": INT,
    "ProcessType": STR, "AbandonProcessGroup": BOOL, "LowPriorityIO": BOOL, "LowPriorityBackgroundIO": BOOL,
    "MaterializeDatalessFiles": BOOL, "LaunchOnlyOnce": BOOL, "MachServices": DICT, "Sockets": DICT,
    "LaunchEvents": DICT, "SessionCreate": BOOL, "LegacyTimers": BOOL, "AssociatedBundleIdentifiers": (STR, ARRAY),
}
KEEPALIVE_KEYS = {"SuccessfulExit": BOOL, "NetworkState": BOOL, "PathState": DICT, "OtherJobEnabled": DICT,
                  "OtherJobActive": DICT, "Crashed": BOOL, "AfterInitialDemand": DICT}
PROCESS_TYPES = ("Background", "Standard", "Adaptive", "Interactive")


def plist_problems(job):
    """What launchd.plist(5) does not allow in ``job`` (a dict read by plistlib)."""
    problems = []
    for key, value in job.items():
        if key not in KEYS:
            problems.append("unknown key %s" % key)
            continue
        kinds = KEYS[key] if isinstance(KEYS[key], tuple) else (KEYS[key],)
        # plistlib gives bool for <true/>, and bool is an int in Python: keep them apart.
        if not any(isinstance(value, kind) and not (kind is INT and isinstance(value, bool)) for kind in kinds):
            problems.append("%s must be %s, got %s" % (key, " or ".join(k.__name__ for k in kinds),
                                                       type(value).__name__))
    if not isinstance(job.get("Label"), str) or not job.get("Label"):
        problems.append("Label is required")
    args = job.get("ProgramArguments")
    if not job.get("Program") and not args:
        problems.append("Program or ProgramArguments is required")
    if isinstance(args, list) and not all(isinstance(a, str) for a in args):
        problems.append("ProgramArguments must be strings")
    env = job.get("EnvironmentVariables")
    if isinstance(env, dict) and not all(isinstance(v, str) for v in env.values()):
        problems.append("EnvironmentVariables values must be strings")
    keep_alive = job.get("KeepAlive")
    if isinstance(keep_alive, dict):
        for key, value in keep_alive.items():
            if key not in KEEPALIVE_KEYS or not isinstance(value, KEEPALIVE_KEYS[key]):
                problems.append("KeepAlive.%s is not a documented key of its type" % key)
    if "ProcessType" in job and job["ProcessType"] not in PROCESS_TYPES:
        problems.append("ProcessType must be one of %s" % ", ".join(PROCESS_TYPES))
    for key in ("WorkingDirectory", "StandardOutPath", "StandardErrorPath", "Program", "RootDirectory"):
        if isinstance(job.get(key), str) and not job[key].startswith("/"):
            problems.append("%s must be an absolute path" % key)
    return problems


def _domain_ok(domain):
    if domain == "system":
        return os.geteuid() == 0
    return domain == "gui/%d" % os.getuid()


def _split_target(target):
    domain, label = target.rsplit("/", 1) if "/" in target else ("", target)
    return domain, label


def _job_file(label):
    return STATE / ("%s.json" % label)


def _load(label):
    path = _job_file(label)
    return json.loads(path.read_text()) if path.exists() else None


def _save(label, record):
    STATE.mkdir(parents=True, exist_ok=True)
    _job_file(label).write_text(json.dumps(record))


def _alive(pid):
    """True while the process runs (a zombie, exited but not yet reaped by its parent, does not)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _start(label):
    """Start the job's supervisor (its own session): it runs the program as launchd would."""
    record = _load(label)
    supervisor = subprocess.Popen([sys.executable, os.path.abspath(__file__), "_supervise", label],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True, env=dict(os.environ))
    record["supervisor"] = supervisor.pid
    _save(label, record)


def _stop(label):
    record = _load(label)
    pid = record.get("supervisor") if record else None
    if _alive(pid):
        try:
            os.killpg(pid, signal.SIGTERM)
        except OSError:
            pass
        deadline = time.monotonic() + 15
        while _alive(pid) and time.monotonic() < deadline:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            time.sleep(0.05)
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)


def supervise(label):
    """launchd's part: run ProgramArguments with the plist's environment, directory, umask and
    output files; start it again after ThrottleInterval when KeepAlive says so."""
    job = _load(label)["job"]
    child = {"proc": None}

    def stop(*_args):
        # In a signal handler: Popen.wait() may hold its lock already, so reap with waitpid.
        proc = child["proc"]
        if proc is not None and proc.returncode is None:
            try:
                proc.send_signal(signal.SIGTERM)
            except OSError:
                pass
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    if os.waitpid(proc.pid, os.WNOHANG)[0]:
                        break
                except ChildProcessError:
                    break
                time.sleep(0.02)
            else:
                proc.kill()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    keep_alive = job.get("KeepAlive", False)
    throttle = job.get("ThrottleInterval", 10)
    umask = job.get("Umask")
    while True:
        argv = job.get("ProgramArguments") or [job["Program"]]
        env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "HOME": os.environ.get("HOME", "/"),
               "USER": os.environ.get("USER", ""), "LOGNAME": os.environ.get("LOGNAME", "")}
        env.update(job.get("EnvironmentVariables") or {})
        out = open(job.get("StandardOutPath") or os.devnull, "ab")
        err = open(job.get("StandardErrorPath") or os.devnull, "ab")
        started = time.monotonic()
        proc = subprocess.Popen(argv, env=env, cwd=job.get("WorkingDirectory") or "/", stdin=subprocess.DEVNULL,
                                stdout=out, stderr=err,
                                preexec_fn=(lambda: os.umask(int(umask, 8) if isinstance(umask, str) else umask))
                                if umask is not None else None)
        child["proc"] = proc
        record = _load(label)
        record.update(pid=proc.pid, runs=record.get("runs", 0) + 1, last_exit=None)
        _save(label, record)
        code = proc.wait()
        out.close()
        err.close()
        record = _load(label)
        record.update(pid=None, last_exit=code)
        _save(label, record)
        again = keep_alive is True or (isinstance(keep_alive, dict) and (
            ("SuccessfulExit" in keep_alive and keep_alive["SuccessfulExit"] == (code == 0))
            or (keep_alive.get("Crashed") and code < 0)))
        if not again:
            return
        time.sleep(max(0, throttle - (time.monotonic() - started)))


def main(argv):
    if len(argv) >= 2 and argv[0] == "_supervise":
        supervise(argv[1])
        return 0
    if not argv:
        sys.stderr.write("Usage: launchctl <subcommand> ... | help [subcommand]\n")
        return 64
    command, args = argv[0], argv[1:]
    if command == "bootstrap" and len(args) == 2:
        domain, path = args
        if not _domain_ok(domain):
            sys.stderr.write("Bootstrap failed: 125: Domain does not support specified action\n")
            return 125
        try:
            with open(path, "rb") as handle:
                job = plistlib.load(handle)
        except (OSError, plistlib.InvalidFileException, ValueError) as error:
            sys.stderr.write("Bootstrap failed: 5: Input/output error\n(%s)\n" % error)
            return 5
        problems = plist_problems(job) if isinstance(job, dict) else ["not a dictionary"]
        if problems:
            sys.stderr.write("Bootstrap failed: 5: Input/output error\n(%s: %s)\n" % (path, "; ".join(problems)))
            return 5
        if _load(job["Label"]):
            sys.stderr.write("Bootstrap failed: 5: Input/output error\n(service already loaded)\n")
            return 5
        _save(job["Label"], {"domain": domain, "path": os.path.abspath(path), "job": job, "runs": 0})
        if job.get("RunAtLoad") and not job.get("Disabled"):
            _start(job["Label"])
        return 0
    if command in ("bootout", "print") and len(args) == 1 or command == "kickstart" and args[:1] == ["-k"] \
            and len(args) == 2:
        domain, label = _split_target(args[-1])
        if not _domain_ok(domain):
            sys.stderr.write("%s failed: 125: Domain does not support specified action\n" % command.capitalize())
            return 125
        record = _load(label)
        if not record or record["domain"] != domain:
            if command == "bootout":
                sys.stderr.write("Boot-out failed: 3: No such process\n")
                return 3
            sys.stderr.write('Could not find service "%s" in domain for %s\n' % (
                label, "system" if domain == "system" else "uid: %d" % os.getuid()))
            return 113
        if command == "bootout":
            _stop(label)
            _job_file(label).unlink()
            return 0
        if command == "kickstart":
            _stop(label)
            _start(label)
            return 0
        pid = record.get("pid")
        running = _alive(record.get("supervisor")) and _alive(pid)
        sys.stdout.write("%s/%s = {\n\tactive count = %d\n\tpath = %s\n\tstate = %s\n\tprogram = %s\n%s"
                         "\truns = %d\n\tlast exit code = %s\n}\n" % (
                             domain, label, 1 if running else 0, record["path"],
                             "running" if running else "not running",
                             (record["job"].get("ProgramArguments") or [record["job"].get("Program")])[0],
                             "\tpid = %d\n" % pid if running else "", record.get("runs", 0),
                             "(never exited)" if record.get("last_exit") is None else record["last_exit"]))
        return 0
    sys.stderr.write("Unrecognized subcommand: %s\n" % " ".join(argv))
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
