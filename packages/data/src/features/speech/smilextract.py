"""A SMILExtract-compatible command line over libSMILEapi.

The PyPI package `opensmile` (2.x) ships libSMILEapi.so and the configs but no SMILExtract
executable. This script gives the same command line (`-C config -I in.wav -key value ...`,
every `-key value` pair being a `\\cm[key]` option of the config) by calling the library's
C API through ctypes, exactly as SMILExtract's main does: new, initialize(config, options), run.

It loads only the shared library (not the `opensmile` Python package, which imports pandas),
so a call costs a few tens of milliseconds on top of the extraction itself.
Exit codes: 0 ok, 2 bad arguments, 3 initialisation failed, 4 run failed.
"""
import ctypes
import importlib.util
import os
import platform
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


def main():
    config, loglevel, options = parse(sys.argv[1:])
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

    opts = (Opt * len(options))(*[Opt(k.encode(), str(v).encode()) for k, v in options])
    obj = lib.smile_new()
    # loglevel, debug=0, consoleOutput=1 (messages go to this process's output), no log file
    if lib.smile_initialize(obj, config.encode(), len(options), opts, loglevel, 0, 1, None) != 0:
        msg = lib.smile_error_msg(obj)
        sys.stderr.write("initialize failed: " + (msg.decode(errors="replace") if msg else "unknown error") + "\n")
        sys.exit(3)
    if lib.smile_run(obj) != 0:
        msg = lib.smile_error_msg(obj)
        sys.stderr.write("run failed: " + (msg.decode(errors="replace") if msg else "unknown error") + "\n")
        sys.exit(4)
    lib.smile_free(obj)


if __name__ == "__main__":
    main()
