"""A SMILExtract-compatible command line over libSMILEapi.

The PyPI package `opensmile` (2.x) ships libSMILEapi.so and the configs but no SMILExtract
executable. This script gives the same command line (`-C config -I in.wav -key value ...`,
every `-key value` pair being a `\\cm[key]` option of the config) by calling the library's
C API through ctypes, exactly as SMILExtract's main does: new, initialize(config, options), run.

It loads only the shared library (not the `opensmile` Python package, which imports pandas),
so a call costs a few tens of milliseconds on top of the extraction itself.
Exit codes: 0 ok, 2 bad arguments, 3 initialisation failed, 4 run failed.

`--serve LOG` (first) keeps one process for many files; emofuse runs one per worker. The other
`-key value` pairs are shared by every file, and each stdin line is a JSON object of the options
of one file (e.g. {"I": "a.wav", "func_csv_output": "a.csv"}). Each file gets a fresh openSMILE
object (new, initialize, run, free: what the opensmile package does per file too), and one JSON
line on stdout answers it: {"ok": true} or {"ok": false, "error": "..."}. Everything else the
process prints (openSMILE's messages) goes to the file LOG, emptied before each file: a failure's
answer quotes its last lines, and after a crash the caller reads them there. The server ends at
the end of stdin, and when its parent dies (Linux: PR_SET_PDEATHSIG): no process outlives emofuse.
libSMILEapi 3.0 crashes (SIGSEGV) when a file fails to initialise after another file in the same
process (e.g. a WAV it cannot read): the caller then fails that file and starts a new server.
"""
import ctypes
import importlib.util
import json
import os
import platform
import signal
import sys


def find_library():
    override = os.environ.get("EMOFUSE_SMILEAPI")
    if override:
        return override
    spec = importlib.util.find_spec("opensmile")
    if spec is None or not spec.submodule_search_locations:
        sys.stderr.write("the Python package 'opensmile' is not installed in this interpreter\n")
        sys.exit(2)
    root = list(spec.submodule_search_locations)[0]
    machine = platform.machine().lower()
    return os.path.join(root, "core", "bin", f"manylinux_2_17_{machine}", "libSMILEapi.so")


def parse(argv):
    config = None
    loglevel = 2
    options = []
    i = 0
    while i < len(argv):
        key = argv[i]
        if not key.startswith("-") or i + 1 >= len(argv):
            sys.stderr.write(f"expected '-option value' pairs, got {key!r}\n")
            sys.exit(2)
        value = argv[i + 1]
        i += 2
        name = key.lstrip("-")
        if name in ("C", "configfile"):
            config = value
        elif name in ("l", "loglevel"):
            loglevel = int(value)
        else:
            options.append((name, value))
    if config is None:
        sys.stderr.write("missing -C <config file>\n")
        sys.exit(2)
    return config, loglevel, options


class Opt(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("value", ctypes.c_char_p)]


def load_library():
    lib = ctypes.cdll.LoadLibrary(find_library())
    lib.smile_new.restype = ctypes.c_void_p
    lib.smile_initialize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p,
                                     ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_char_p]
    lib.smile_initialize.restype = ctypes.c_int
    lib.smile_run.argtypes = [ctypes.c_void_p]
    lib.smile_run.restype = ctypes.c_int
    lib.smile_error_msg.argtypes = [ctypes.c_void_p]
    lib.smile_error_msg.restype = ctypes.c_char_p
    lib.smile_free.argtypes = [ctypes.c_void_p]
    return lib


def extract(lib, config, loglevel, options):
    """One openSMILE run; None when it worked, else (exit code, message)."""
    opts = (Opt * len(options))(*[Opt(k.encode(), str(v).encode()) for k, v in options])
    obj = lib.smile_new()
    # loglevel, debug=0, consoleOutput=1 (messages go to this process's output), no log file
    if lib.smile_initialize(obj, config.encode(), len(options), opts, loglevel, 0, 1, None) != 0:
        msg = lib.smile_error_msg(obj)
        return 3, "initialize failed: " + (msg.decode(errors="replace") if msg else "unknown error")
    if lib.smile_run(obj) != 0:
        msg = lib.smile_error_msg(obj)
        return 4, "run failed: " + (msg.decode(errors="replace") if msg else "unknown error")
    lib.smile_free(obj)
    return None


def die_with_parent():
    """Linux: SIGTERM when the parent dies, even by SIGKILL (elsewhere the end of stdin does it)."""
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    parent = os.environ.get("EMOFUSE_SMILE_PARENT")
    if parent and os.getppid() != int(parent):  # the parent died before prctl
        sys.exit(0)


def serve(log, config, loglevel, shared):
    # Ctrl-C reaches the whole process group: the parent decides what stops, and stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    lib = load_library()
    libc = ctypes.CDLL(None)
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    logfd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
    os.dup2(logfd, 1)
    os.dup2(logfd, 2)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            per_file = json.loads(line)
            if not isinstance(per_file, dict):
                raise ValueError("expected a JSON object of options")
        except ValueError as e:
            answers.write(json.dumps({"ok": False, "error": f"bad request {line.strip()[:200]!r}: {e}"}) + "\n")
            continue
        os.ftruncate(logfd, 0)
        failed = extract(lib, config, loglevel, shared + [(k, str(v)) for k, v in per_file.items()])
        if failed is None:
            answers.write('{"ok": true}\n')
            continue
        libc.fflush(None)
        with open(log, errors="replace") as f:
            said = [x.strip() for x in f.read().splitlines() if x.strip()][-3:]
        answers.write(json.dumps({"ok": False, "error": " | ".join(said + [failed[1]])}) + "\n")


def main():
    argv = sys.argv[1:]
    if argv[:1] == ["--serve"]:
        if len(argv) < 2:
            sys.stderr.write("--serve needs the path of its log file\n")
            sys.exit(2)
        serve(argv[1], *parse(argv[2:]))
        return
    failed = extract(load_library(), *parse(argv))
    if failed is not None:
        sys.stderr.write(failed[1] + "\n")
        sys.exit(failed[0])


if __name__ == "__main__":
    main()
