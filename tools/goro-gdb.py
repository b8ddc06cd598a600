# SPDX-License-Identifier: MIT
# goro-gdb.py: gdb support for goro's goroutines (gdb's Python API).
#
#   info goroutines          every live goroutine: id, state, what it waits
#                            on and for how long, name, creation site; '*'
#                            marks the one running on the selected thread
#   goroutine N [CMD...]     runs a gdb command (default: bt) in goroutine
#                            N's context; N is any expression (an id, or a
#                            variable holding one), or `all`
#
# A parked (or runnable) goroutine's registers are those its last context
# switch saved (g->ctx, layout in src/sched/arch/*/switch.S): the command runs
# with $sp/$pc/$fp and the callee-saved registers set from them in frame 0
# of the selected thread, which are put back afterwards. A running
# goroutine's command runs on the thread that runs it.
#
# Loading: installed as <datadir>/gdb/auto-load/<libdir>/libgoro.so.<ver>-gdb.py,
# gdb loads it with libgoro.so (when that directory is one gdb searches and
# trusts; see docs/guide.md, "gdb"). For a program linked with libgoro.a:
#   (gdb) source /path/to/goro/tools/goro-gdb.py
# It needs libgoro's debug info (the default builds have it: -O2 -g).
#
# Reads: the G registry (allg_head and g->alllink, src/sched/allg.c), struct
# goro__g (the function shown is ufn, the user's; the wait record) and goro__m
# (src/sched/runtime.h), the wait-reason names (wait_names in
# src/diag/dump.c), the current M (tls_m in src/sched/proc.c, a __thread
# variable; without thread debugging, each P's M and its kernel tid).
# x86-64 and AArch64 assembly switches and the ucontext switch
# (GORO_UCONTEXT) on either; AArch64 is untested.

import re
import time

import gdb

# G status (src/sched/runtime.h), used when the debug info lacks the enumerators.
_G_STATUS = {"G_IDLE": 0, "G_RUNNABLE": 1, "G_RUNNING": 2, "G_WOKEN": 3,
             "G_WAITING": 4, "G_DEAD": 5}

# src/diag/dump.c's wait_names and obj_names, if they cannot be read.
_WAIT_NAMES = ["waiting", "chan receive", "chan send", "select", "sync.Mutex.Lock",
               "sync.RWMutex.RLock", "sync.RWMutex.Lock", "sync.WaitGroup.Wait",
               "sync.Cond.Wait", "semaphore acquire", "sleep", "IO wait"]
_OBJ_NAMES = [None, "chan", "chan", None, "mutex", "rwmutex", "rwmutex", "waitgroup",
              "cond", "sema", None, "fd"]
_WAIT_IO = 11

_MAX_G = 10000000          # registry walk bound (a corrupt list must not hang gdb)


class GoroError(Exception):
    pass


# ---- symbols -------------------------------------------------------------

def _static_symbol(name, filename=None, domain=gdb.SYMBOL_VAR_DOMAIN):
    """The file-scope static `name` of goro's source `filename`."""
    syms = []
    try:
        syms = gdb.lookup_static_symbols(name, domain)       # gdb >= 10
    except AttributeError:
        try:
            s = gdb.lookup_static_symbol(name, domain)
            syms = [s] if s else []
        except AttributeError:
            pass
    for s in syms:
        if filename is None or (s.symtab and s.symtab.filename.endswith(filename)):
            return s
    return None


def _enum(name):
    try:
        return int(gdb.parse_and_eval(name))
    except gdb.error:
        return _G_STATUS[name]


def _gtype():
    try:
        return gdb.lookup_type("struct goro__g")
    except gdb.error:
        raise GoroError("no debug info for goro (struct goro__g): is libgoro built with -g, "
                        "and is the program running?")


def _allg_head():
    s = _static_symbol("allg_head", "allg.c")
    if s is None:
        raise GoroError("goro's goroutine registry (allg_head in allg.c) not found: "
                        "no libgoro debug info, or the program is not linked with goro")
    return s.value()


def _names(sym, fallback):
    s = _static_symbol(sym, "dump.c")
    if s is None:
        return list(fallback)
    try:
        v = s.value()
        lo, hi = v.type.range()
        out = []
        for i in range(lo, hi + 1):
            p = v[i]
            out.append(p.string() if int(p) else None)
        return out
    except (gdb.error, gdb.MemoryError):
        return list(fallback)


def _fn_name(v):
    """The symbol a function pointer points at, or its address."""
    addr = int(v)
    if addr == 0:
        return "?"
    try:
        b = gdb.block_for_pc(addr)
        if b is not None and b.function is not None:
            return b.function.print_name
    except RuntimeError:
        pass
    m = re.search(r"<([^>+]+)", str(v))
    return m.group(1) if m else "0x%x" % addr


def _user_fn(g):
    """The user's function of G g: ufn (src/sched/runtime.h), which is what a
    trampoline (goro_waitgroup_go, errgroup tasks) runs; fn where ufn is
    unset or absent (older libgoro)."""
    try:
        u = g["ufn"]
        if int(u) != 0:
            return u
    except gdb.error:
        pass
    return g["fn"]


def _cstr(v, limit=4096):
    if int(v) == 0:
        return None
    try:
        return v.string(length=-1)[:limit]
    except (gdb.error, gdb.MemoryError, UnicodeDecodeError):
        return "<0x%x>" % int(v)


# ---- the registry --------------------------------------------------------

class Goroutine(object):
    """A snapshot of one live G (racy reads, as goro_dump does)."""

    def __init__(self, g, st):
        self.g = g
        self.addr = int(g.address) if g.address is not None else 0
        self.status = st
        self.id = int(g["id"])
        self.file = _cstr(g["file"])
        self.line = int(g["line"])
        self.name = _cstr(g["name"])
        self.fn = _fn_name(_user_fn(g))
        self.ctx = int(g["ctx"])
        self.on_cpu = int(g["on_cpu"])
        self.wait = int(g["wait"]["reason"])
        self.wait_obj = int(g["wait"]["obj"])
        self.wait_since = int(g["wait"]["since"])
        self.syscall = int(g["syscall_depth"])


def goroutines():
    """Every live goroutine in registry order."""
    gptr = _gtype().pointer()
    idle, dead = _enum("G_IDLE"), _enum("G_DEAD")
    out = []
    p = _allg_head().cast(gptr)
    n = 0
    while int(p) != 0 and n < _MAX_G:
        g = p.dereference()
        try:
            st = int(g["status"])
            if st != idle and st != dead:
                out.append(Goroutine(g, st))
            p = g["alllink"].cast(gptr)
        except gdb.MemoryError as e:
            raise GoroError("reading the registry at 0x%x: %s" % (int(p), e))
        n += 1
    return out


def find_goroutine(gid):
    for g in goroutines():
        if g.id == gid:
            return g
    return None


# ---- which thread runs which goroutine -----------------------------------

def _m_ptr_type():
    return gdb.lookup_type("struct goro__m").pointer()


def running_threads():
    """{G address: gdb.InferiorThread} for the goroutines on a thread now."""
    inf = gdb.selected_inferior()
    threads = {t.ptid[1]: t for t in inf.threads() if t.is_valid()}
    result = {}
    tls = _static_symbol("tls_m", "sched/proc.c")
    if tls is not None:
        cur = gdb.selected_thread()
        try:
            frame = gdb.selected_frame()
        except gdb.error:
            frame = None
        ok = True
        try:
            for t in threads.values():
                t.switch()
                try:
                    m = tls.value(gdb.newest_frame())
                    curg = int(m.dereference()["curg"]) if int(m) else 0
                except (gdb.error, gdb.MemoryError):
                    ok = False      # e.g. "optimized out": no thread debugging
                    break
                if curg:
                    result[curg] = t
        finally:
            if cur is not None and cur.is_valid():
                cur.switch()
                if frame is not None and frame.is_valid():
                    frame.select()
        if ok:
            return result
        result = {}
    # No TLS (no libthread_db): each P's M, by its kernel thread id.
    s = _static_symbol("goro__S", None) or gdb.lookup_global_symbol("goro__S")
    if s is None:
        return result
    S = s.value()
    allp = S["allp"]
    lo, hi = allp.type.range()
    for i in range(lo, hi + 1):
        p = allp[i]
        if int(p) == 0:
            break
        m = p.dereference()["m"]
        if int(m) == 0:
            continue
        m = m.cast(_m_ptr_type()).dereference()
        curg, tid = int(m["curg"]), int(m["tid"])
        if curg and tid in threads:
            result[curg] = threads[tid]
    return result


def current_goroutine_addr():
    """The G running on the selected thread, or 0."""
    tls = _static_symbol("tls_m", "sched/proc.c")
    if tls is None:
        return 0
    try:
        m = tls.value(gdb.newest_frame())
        return int(m.dereference()["curg"]) if int(m) else 0
    except (gdb.error, gdb.MemoryError):
        t = gdb.selected_thread()
        for addr, th in running_threads().items():
            if th.ptid == t.ptid:
                return addr
        return 0


# ---- saved contexts ------------------------------------------------------

def _arch():
    name = gdb.selected_frame().architecture().name()
    if "x86-64" in name or "x86_64" in name:
        return "x86_64"
    if "aarch64" in name:
        return "aarch64"
    raise GoroError("unsupported architecture %s (goro's gdb support knows x86-64 and "
                    "AArch64)" % name)


def _addr_of(sym):
    try:
        return int(gdb.parse_and_eval("(unsigned long)&%s" % sym))
    except gdb.error:
        return 0


def _switch_kind():
    """'asm' (src/sched/arch/<arch>/switch.S) or 'ucontext' (GORO_UCONTEXT)."""
    a = _addr_of("goro__ctx_switch")
    if a:
        sal = gdb.find_pc_line(a)
        if sal.symtab is not None:
            f = sal.symtab.filename
            if f.endswith("switch_ucontext.c"):
                return "ucontext"
            if f.endswith(".S"):
                return "asm"
    if _addr_of("goro__ctx_start"):
        return "asm"
    if _static_symbol("transfer", "switch_ucontext.c") is not None:
        return "ucontext"
    return "asm"


def _u64(addr):
    inf = gdb.selected_inferior()
    b = inf.read_memory(addr, 8).tobytes()
    return int.from_bytes(b, "little")


def _ucontext_offsets(arch):
    """Offsets in ucontext_t: of gregs (x86-64) or regs/sp/pc (AArch64)."""
    try:
        t = gdb.lookup_type("ucontext_t")
        mc = t["uc_mcontext"].bitpos // 8
        mt = t["uc_mcontext"].type.strip_typedefs()
        if arch == "x86_64":
            return {"gregs": mc + mt["gregs"].bitpos // 8}
        return {"regs": mc + mt["regs"].bitpos // 8, "sp": mc + mt["sp"].bitpos // 8,
                "pc": mc + mt["pc"].bitpos // 8}
    except (gdb.error, KeyError, TypeError):
        if arch == "x86_64":
            return {"gregs": 40}                          # glibc x86-64
        return {"regs": 184, "sp": 432, "pc": 440}        # glibc AArch64


def saved_registers(g):
    """[(register, value)] of a switched-out goroutine, sp and pc first."""
    ctx = g.ctx
    if ctx == 0:
        raise GoroError("goroutine %d has no saved context (it has not run yet: it will "
                        "start in %s)" % (g.id, g.fn))
    arch = _arch()
    kind = _switch_kind()
    if kind == "asm" and arch == "x86_64":
        # switch.S: [0] mxcsr/fpcw [8] r15 [16] r14 [24] r13 [32] r12 [40] rbx
        # [48] rbp [56] return address. Resumed at goro__ctx_switch's entry
        # (CFA = rsp + 8, return address at rsp) these are the register
        # values the call saw.
        regs = [("r15", 8), ("r14", 16), ("r13", 24), ("r12", 32), ("rbx", 40), ("rbp", 48)]
        out = [(r, _u64(ctx + off)) for r, off in regs]
        entry = _addr_of("goro__ctx_switch")
        if entry:
            return [("rsp", ctx + 56), ("rip", entry)] + out
        return [("rsp", ctx + 64), ("rip", _u64(ctx + 56))] + out
    if kind == "asm" and arch == "aarch64":
        # switch.S: [0] x19..x28 [80] x29 [88] x30 ... 176 bytes; at the
        # function's entry sp = ctx + 176 and x30 holds the return address.
        out = [("x%d" % (19 + i), _u64(ctx + 8 * i)) for i in range(10)]
        out += [("x29", _u64(ctx + 80)), ("x30", _u64(ctx + 88))]
        entry = _addr_of("goro__ctx_switch")
        if entry:
            return [("sp", ctx + 176), ("pc", entry)] + out
        return [("sp", ctx + 176), ("pc", _u64(ctx + 88))] + out
    # ucontext: ctx is a ucontext_t * filled by getcontext/swapcontext.
    off = _ucontext_offsets(arch)
    if arch == "x86_64":
        gr = ctx + off["gregs"]
        # glibc's REG_* indices: R12..R15 = 4..7, RBP 10, RBX 11, RSP 15, RIP 16
        idx = [("rsp", 15), ("rip", 16), ("rbp", 10), ("rbx", 11), ("r12", 4), ("r13", 5),
               ("r14", 6), ("r15", 7)]
        return [(r, _u64(gr + 8 * i)) for r, i in idx]
    pc = _u64(ctx + off["pc"])
    regs = [("x%d" % i, _u64(ctx + off["regs"] + 8 * i)) for i in range(19, 31)]
    # Newer glibc's AArch64 swapcontext saves as pc (and x30) a restore
    # stub inside itself, the caller's return address in regs[1].
    sw = _addr_of("swapcontext")
    if sw and sw <= pc < sw + 512:
        pc = _u64(ctx + off["regs"] + 8)
        regs[-1] = ("x30", pc)
    return [("sp", _u64(ctx + off["sp"])), ("pc", pc)] + regs


def run_in_context(regs, cmd):
    """Runs cmd with frame 0 of the selected thread given regs; puts back
    the registers and the selected frame."""
    try:
        frame = gdb.selected_frame()
    except gdb.error:
        raise GoroError("no frame selected: is the program running?")
    gdb.newest_frame().select()
    f0 = gdb.newest_frame()
    old = [(r, int(f0.read_register(r))) for r, _ in regs]
    try:
        for r, v in regs:
            gdb.execute("set $%s = %d" % (r, v), to_string=True)
        gdb.newest_frame().select()
        gdb.execute(cmd, from_tty=False)
    except gdb.error as e:
        if "without a process" in str(e) or "can't do that" in str(e).lower():
            raise GoroError("cannot set registers here (%s): a core file's goroutines "
                            "can be listed but not unwound" % e)
        raise
    finally:
        gdb.newest_frame().select()
        for r, v in old:
            try:
                gdb.execute("set $%s = %d" % (r, v), to_string=True)
            except gdb.error:
                pass
        try:
            if frame.is_valid():
                frame.select()
        except gdb.error:
            pass


def run_on_thread(thread, cmd):
    cur = gdb.selected_thread()
    frame = gdb.selected_frame()
    thread.switch()
    try:
        gdb.execute(cmd, from_tty=False)
    finally:
        cur.switch()
        try:
            if frame.is_valid():
                frame.select()
        except gdb.error:
            pass


# ---- presentation --------------------------------------------------------

def _now_ns():
    # A live native process shares our CLOCK_MONOTONIC (goro__nanotime);
    # a core file only has goro__coarse_ns (good to about 10 ms).
    try:
        conn = gdb.selected_inferior().connection
        if conn is not None and conn.type == "native":
            return int(time.clock_gettime(time.CLOCK_MONOTONIC) * 1e9)
    except (AttributeError, gdb.error):
        pass
    try:
        return int(gdb.parse_and_eval("goro__coarse_ns"))
    except gdb.error:
        return 0


def _dur(ns):
    if ns < 0:
        ns = 0
    if ns >= 60 * 10**9:
        return "%d min" % (ns // (60 * 10**9))
    if ns >= 10**9:
        return "%.1f s" % (ns / 1e9)
    return "%d ms" % (ns // 10**6)


def describe(g, wait_names, obj_names, threads, now):
    """(state, waiting-on) strings of g."""
    if g.status in (_enum("G_RUNNING"), _enum("G_WOKEN")):
        st = "syscall" if g.syscall else "running"
        t = threads.get(g.addr)
        if t is not None:
            st += " (thread %d, LWP %d)" % (t.num, t.ptid[1])
        return st, ""
    if g.status == _enum("G_RUNNABLE"):
        return "runnable", ""
    w = g.wait if 0 <= g.wait < len(wait_names) else 0
    st = wait_names[w] or "waiting"
    if g.wait_since and now:
        st += " (%s)" % _dur(now - g.wait_since)
    on = ""
    if w < len(obj_names) and obj_names[w]:
        if w == _WAIT_IO:
            fd = g.wait_obj & 0xffffffff
            on = "fd %d" % (fd - (1 << 32) if fd >= 1 << 31 else fd)
        else:
            on = "%s 0x%x" % (obj_names[w], g.wait_obj)
    return st, on


def _header(g, wait_names, obj_names, threads, now):
    st, on = describe(g, wait_names, obj_names, threads, now)
    s = "goroutine %d [%s]" % (g.id, st)
    if on:
        s += " on %s" % on
    if g.name:
        s += " name %s" % g.name
    return s + ", %s, created at %s:%d" % (g.fn, g.file or "?", g.line)


# ---- commands ------------------------------------------------------------

class InfoGoroutines(gdb.Command):
    """List goro's goroutines: id, state, what each waits on and for how long,
name, start function and creation site. '*' marks the goroutine running on
the selected thread. Usage: info goroutines"""

    def __init__(self):
        super(InfoGoroutines, self).__init__("info goroutines", gdb.COMMAND_STACK,
                                             gdb.COMPLETE_NONE)

    def invoke(self, arg, from_tty):
        try:
            goros = sorted(goroutines(), key=lambda g: g.id)
            wait_names = _names("wait_names", _WAIT_NAMES)
            obj_names = _names("obj_names", _OBJ_NAMES)
            threads = running_threads()
            cur = current_goroutine_addr()
            now = _now_ns()
        except GoroError as e:
            raise gdb.GdbError(str(e))
        rows = []
        for g in goros:
            st, on = describe(g, wait_names, obj_names, threads, now)
            rows.append(("*" if g.addr == cur and cur else " ", str(g.id), st, on,
                         g.name or "", g.fn, "%s:%d" % (g.file or "?", g.line)))
        head = (" ", "Id", "State", "Waiting on", "Name", "Function", "Created at")
        widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
        def fmt(r):
            return "  ".join(c.ljust(widths[i]) for i, c in enumerate(r[:-1])) + "  " + r[-1]
        gdb.write(fmt(head) + "\n")
        for r in rows:
            gdb.write(fmt(r) + "\n")
        if not rows:
            gdb.write("(no goroutines)\n")


class GoroutineCmd(gdb.Command):
    """Run a gdb command in a goroutine's context.
Usage: goroutine N [COMMAND...]   (COMMAND defaults to bt)
       goroutine all [COMMAND...]
N is a goroutine id, or any expression that gives one (a variable holding
goro_id()). A parked or runnable goroutine's command runs with the
registers its last context switch saved (frame 0 of the selected thread is
borrowed and put back); a running goroutine's runs on the thread running it.
Examples: goroutine 3 bt    goroutine 3 bt full    goroutine 3 frame 2"""

    def __init__(self):
        super(GoroutineCmd, self).__init__("goroutine", gdb.COMMAND_STACK, gdb.COMPLETE_COMMAND)

    def invoke(self, arg, from_tty):
        argv = arg.strip().split(None, 1)
        if not argv:
            raise gdb.GdbError("usage: goroutine N|all [COMMAND] (see help goroutine)")
        cmd = argv[1] if len(argv) > 1 else "bt"
        try:
            if argv[0] == "all":
                goros = sorted(goroutines(), key=lambda g: g.id)
            else:
                try:
                    gid = int(gdb.parse_and_eval(argv[0]))
                except gdb.error as e:
                    raise GoroError("goroutine: bad id %r: %s" % (argv[0], e))
                g = find_goroutine(gid)
                if g is None:
                    raise GoroError("no live goroutine %d (info goroutines lists them)" % gid)
                goros = [g]
            wait_names = _names("wait_names", _WAIT_NAMES)
            obj_names = _names("obj_names", _OBJ_NAMES)
            threads = running_threads()
            now = _now_ns()
            for g in goros:
                if len(goros) > 1:
                    gdb.write("\n%s\n" % _header(g, wait_names, obj_names, threads, now))
                try:
                    self.one(g, cmd, threads)
                except (GoroError, gdb.error) as e:
                    if len(goros) == 1:
                        raise
                    gdb.write("%s\n" % e)
        except (GoroError, gdb.error) as e:
            raise gdb.GdbError(str(e))

    def one(self, g, cmd, threads):
        if g.status in (_enum("G_RUNNING"), _enum("G_WOKEN")):
            t = threads.get(g.addr)
            if t is None:
                raise GoroError("goroutine %d is running, on a thread not found" % g.id)
            gdb.write("goroutine %d is running on thread %d (LWP %d):\n"
                      % (g.id, t.num, t.ptid[1]))
            run_on_thread(t, cmd)
            return
        if g.on_cpu:
            gdb.write("goroutine %d is being switched out: its saved registers may "
                      "be stale\n" % g.id)
        run_in_context(saved_registers(g), cmd)


InfoGoroutines()
GoroutineCmd()
