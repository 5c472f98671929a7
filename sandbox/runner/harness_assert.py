"""Assert harness (``assert`` tests: HumanEval, MBPP): the tests in one process, the program
in another.

Run as ``python3 -s -P -c <this file's text>`` in the work dir, stdin = a marshal'd payload
``{code, test_code, asserts, entry_point, stop, nonce}``; reports go to fd 3 as
``repr((nonce, event))`` lines (events ``pass``/``fail``/``error``/``done``).

The tests must not share a process with the program: a program could read the nonce from the
harness's frame and forge reports, or return an object equal to anything. So the harness forks
first, before the nonce or the report fd mean anything in its memory; the child drops stdin and
the report fd and hosts the program, answering calls over pipes. Only marshal-able plain values
cross, and neither process is dumpable, so the program cannot read the tests' process either.

The tests' process must never run code the program wrote: it starts with ``-P`` (the work dir
is not on its import path; only the program's child adds it), imports every module it needs
before the program runs (it formats errors itself, without traceback), and lets in only the
names the tests' compiled code refers to (``co_names``) that are not builtins (plus the entry
point), so a program's ``abs``
or ``sorted`` cannot change what an assert computes. A module crosses only as a standard module
under its own name (``import math``), imported afresh here: never an alias (``import cmath as
math``) or a program's file.
"""

import sys

sys.path[:] = [p for p in sys.path if p not in ("", ".")]  # what -P does, for Python < 3.11
import builtins  # noqa: E402 - after the path is cleaned
import marshal  # noqa: E402
import os  # noqa: E402
import types  # noqa: E402


def _describe(e):
    # "Type: message", as traceback.format_exception_only would say it, without importing
    # traceback (30 ms) into a process that must import nothing after the program ran
    try:
        m = str(e)
    except Exception:
        m = ""
    return type(e).__name__ + (": " + m if m else "")


def _names(code):
    """Every name a compiled test refers to as a global, an attribute or an import (its code
    and the code objects nested in it): all a test can take from the program."""
    out, todo = set(), [code]
    while todo:
        c = todo.pop()
        out.update(c.co_names)
        todo += [k for k in c.co_consts if isinstance(k, types.CodeType)]
    return out


def _frame(fd_in, fd_out):
    def readn(k):
        buf = b""
        while len(buf) < k:
            chunk = os.read(fd_in, min(k - len(buf), 1 << 20))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def send(obj):
        try:
            data = marshal.dumps(obj)
        except ValueError as e:
            data = marshal.dumps(("exc", ("TypeError", f"cannot leave the program: {e}")))
        os.write(fd_out, len(data).to_bytes(4, "big") + data)

    def recv():
        return marshal.loads(readn(int.from_bytes(readn(4), "big")))

    return send, recv


def _program(fd_in, fd_out):
    send, recv = _frame(fd_in, fd_out)
    try:
        code = recv()
    except EOFError:
        os._exit(0)
    sys.path.insert(0, os.getcwd())  # the program may import files of its own; the tests never
    g = {"__name__": "__solution__", "__builtins__": __builtins__}
    try:
        exec(compile(code, "solution.py", "exec"), g)
    except BaseException as e:
        send(("error", _describe(e)))
        os._exit(1)
    names = []
    for k, v in list(g.items()):
        if k.startswith("__"):
            continue
        if isinstance(v, types.ModuleType):
            names.append((k, "module", v.__name__))
        elif callable(v):
            names.append((k, "callable", None))
        else:
            try:
                marshal.dumps(v)
                names.append((k, "value", v))
            except ValueError:
                pass
    send(("names", names))
    while True:
        try:
            name, args, kwargs = recv()
        except EOFError:
            os._exit(0)
        try:
            answer = ("ok", g[name](*args, **kwargs))
        except BaseException as e:
            answer = ("exc", (type(e).__name__, str(e)[:2000]))
        send(answer)


def _h():
    w, ex, typ, rep = os.write, os._exit, type, repr
    try:
        import ctypes

        ctypes.pythonapi.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: libc's, via dlsym
    except Exception:
        pass
    req_r, req_w = os.pipe()
    resp_r, resp_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        n = os.open(os.devnull, os.O_RDWR)
        os.dup2(n, 0)
        os.dup2(n, 3)
        os.close(n)
        os.close(req_w)
        os.close(resp_r)
        _program(req_r, resp_w)
        ex(0)
    os.close(req_r)
    os.close(resp_w)
    p = marshal.loads(sys.stdin.buffer.read())
    n = os.open(os.devnull, os.O_RDONLY)
    os.dup2(n, 0)
    os.close(n)
    nonce, src = p.pop("nonce"), {}
    send, recv = _frame(resp_r, req_w)

    def emit(**kw):
        w(3, (rep((nonce, kw)) + "\n").encode())

    def end(code, **report):
        try:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        except OSError:
            pass
        if report:
            emit(**report)
        ex(code)

    def err(e):
        msg = _describe(e)
        where, tb = "", e.__traceback__
        while tb is not None:
            f, n = tb.tb_frame.f_code.co_filename, tb.tb_lineno or 0
            if f in src and 0 < n <= len(src[f]):
                where = src[f][n - 1].strip()
            tb = tb.tb_next
        return msg, where

    compiled = {}  # tests compiled before the program runs: the names they refer to

    def build(name, code):
        src[name] = code.splitlines()
        try:
            compiled[name] = compile(code, name, "exec", dont_inherit=True)
        except BaseException:  # noqa: BLE001 - raised again, in its place, by run()
            compiled[name] = None

    def run(name, code, g):
        c = compiled.get(name)
        exec(c if c is not None else compile(code, name, "exec", dont_inherit=True), g)

    def proxy(name):
        def call(*args, **kwargs):
            try:
                send((name, args, kwargs))
            except ValueError:
                raise TypeError("these arguments cannot be passed to the program") from None
            try:
                status, value = recv()
            except EOFError:
                raise RuntimeError("the program's process ended") from None
            if status == "ok":
                return value
            e = getattr(builtins, str(value[0]), None)
            if typ(e) is type and issubclass(e, Exception):
                raise e(value[1])
            raise RuntimeError(f"{value[0]}: {value[1]}")

        call.__name__ = call.__qualname__ = name
        return call

    g = {"__name__": "__tests__", "__builtins__": __builtins__}
    tests = [("tests.py", p["test_code"])] if p["test_code"] else []
    tests += [(f"assert_{i}", a) for i, a in enumerate(p["asserts"])]
    try:
        send(p["code"])
        for name, code in tests:  # while the program loads
            build(name, code)
        try:
            kind, info = recv()
        except EOFError:
            end(1, k="error", error="the program exited while loading")
        if kind != "names":
            end(1, k="error", error=str(info))
        needs, entry = set(), p["entry_point"]
        for c in compiled.values():
            if c is not None:
                needs |= _names(c)
        for name, what, value in info:
            if typ(name) is not str or name != entry and (
                    name not in needs or hasattr(builtins, name)):
                continue
            if what == "callable":
                g[name] = proxy(name)
            elif what == "value":
                g[name] = value
            elif what == "module" and value == name and name in sys.stdlib_module_names:
                try:
                    g[name] = __import__(value, fromlist=["_"])
                except Exception:
                    pass
        if p["test_code"]:
            run("tests.py", p["test_code"], g)
        if p["entry_point"] and callable(g.get("check")):
            g["check"](g[p["entry_point"]])
        for i, a in enumerate(p["asserts"]):
            try:
                run(f"assert_{i}", a, g)
                emit(k="pass", i=i)
            except Exception as e:
                m, where = err(e)
                emit(k="fail", i=i, error=m, where=where or a)
                if p["stop"]:
                    end(1)
    except BaseException as e:
        m, where = err(e)
        end(1, k="fail", error=m, where=where)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        pass
    end(0, k="done")


if __name__ == "__main__":
    _h()
