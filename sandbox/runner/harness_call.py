"""Call harness (``call`` tests): runs one function call in the program's own process.

Run as ``python3 -s -c <this file's text>`` in the work dir, stdin = a marshal'd payload
``{code, fn_name, args, kwargs, nonce}``; reports go to fd 3 as ``repr((nonce, event))`` lines
(events ``result``/``error``/``fail``/``done``). The expected value never enters this
process, so it has nothing to forge; the nonce is never on disk or in its arguments. Stdlib
imports cost ~10 ms (json pulls in re), hence marshal in and plain reprs out.
"""

import marshal
import os
import sys


def _h():
    w, ex, isinst, typ, rep = os.write, os._exit, isinstance, type, repr
    p = marshal.loads(sys.stdin.buffer.read())
    n = os.open(os.devnull, os.O_RDONLY)
    os.dup2(n, 0)
    os.close(n)
    nonce = p.pop("nonce")

    def plain(o, d=0):
        t = typ(o)
        if o is None or t in (bool, str, int):
            return o
        if t is float:
            return o if o == o and o not in (1e999, -1e999) else {"__float__": rep(o)}
        if d > 100:
            return {"__unserializable__": "too deep"}
        if t in (list, tuple):
            return [plain(x, d + 1) for x in o]
        if t in (set, frozenset):
            v = [plain(x, d + 1) for x in o]
            try:
                return sorted(v)
            except Exception:
                return v
        if t is dict:
            return {plain(k, d + 1) if typ(k) in (str, int) else rep(k): plain(v, d + 1)
                    for k, v in o.items()}
        return {"__unserializable__": t.__name__}

    def emit(**kw):
        w(3, (rep((nonce, kw)) + "\n").encode())

    def err(e):
        import traceback

        return "".join(traceback.format_exception_only(typ(e), e)).strip()

    g = {"__name__": "__solution__", "__builtins__": __builtins__}
    try:
        exec(compile(p["code"], "solution.py", "exec"), g)
    except BaseException as e:
        emit(k="error", error=err(e))
        ex(1)
    try:
        f = g.get(p["fn_name"])
        if not callable(f) and isinst(g.get("Solution"), type):
            f = getattr(g["Solution"](), p["fn_name"], None)
        if not callable(f):
            emit(k="error", error=f"function {p['fn_name']!r} not found")
            ex(1)
        emit(k="result", value=plain(f(*p["args"], **p["kwargs"])))
    except BaseException as e:
        emit(k="fail", error=err(e), where="")
        ex(1)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        pass
    emit(k="done")
    ex(0)


if __name__ == "__main__":
    _h()
