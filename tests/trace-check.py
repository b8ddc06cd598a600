#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# trace-check.py GOROTRACE TEST_EXECTRACE: traces tests/test_exectrace.c's
# four programs and checks the file with tools/goro-trace:
#  - event counts equal what the program did (its "expect" lines);
#  - truncated copies still read, up to their last whole event;
#  - `json` is valid JSON with P tracks, run slices, wake arrows, counters;
#  - `html` rendered by headless Chromium (which must be installed: CI's
#    .ci/run installs it; missing, this test fails) shows one band per P
#    (counted in the PNG, decoded here with zlib) and slices in them, the
#    counters, regions, log lines and instant events;
#  - `summary` names the wait reasons.
import json, os, shutil, struct, subprocess, sys, tempfile, zlib

tool, prog = sys.argv[1], sys.argv[2]
procs = int(os.environ.get("GOROMAXPROCS", "2"))


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def stats(path):
    out = subprocess.run([tool, "stats", path], check=True, capture_output=True, text=True,
                         timeout=60).stdout
    d = {}
    for line in out.splitlines():
        k, _, v = line.rpartition(" ")
        if v.isdigit():
            d[k] = int(v)
    return d


def png_rows(path):
    """RGB(A) rows of an 8-bit non-interlaced PNG."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("not a PNG")
    pos, idat = 8, b""
    while pos < len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if typ == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif typ == b"IDAT":
            idat += body
        pos += 12 + n
    if depth != 8 or ctype not in (2, 6) or interlace:
        fail("unexpected PNG format %d/%d/%d" % (depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    rows, prev, stride = [], bytearray(w * bpp), w * bpp
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(w)])
        prev = line
    return rows


tmp = tempfile.mkdtemp(prefix="goro-trace-check-")
try:
    # Both clocks: the CPU's counter where usable, and CLOCK_MONOTONIC.
    for clock in ("ns", ""):
        trace = os.path.join(tmp, "t%s.trace" % clock)
        env = dict(os.environ, GORO_TRACE_CLOCK=clock)
        out = subprocess.run([prog, trace], check=True, capture_output=True, text=True,
                             timeout=120, env=env).stdout
        expect, clk = {}, None
        for line in out.splitlines():
            if line.startswith("expect "):
                _, k, v = line.split()
                expect[k] = int(v)
            elif line.startswith("clock "):
                clk = [int(x) for x in line.split()[1:]]
        got = stats(trace)
        for k, v in expect.items():
            if k.endswith("_min"):
                if got.get(k[:-4], 0) < v:
                    fail("%s: %d, expected at least %d" % (k[:-4], got.get(k[:-4], 0), v))
            elif got.get(k) != v:
                fail("%s: %s, expected %d" % (k, got.get(k), v))
        if got["start"] != got["stop"]:
            fail("start %d != stop %d" % (got["start"], got["stop"]))
        for k in ("park[chan receive]", "park[chan send]", "park[IO wait]", "park[sleep]", "netpoll"):
            if got.get(k, 0) == 0:
                fail("no %s events" % k)
        # Ticks turned into ns: the two "clock" log lines are as far apart
        # as the program's clock says (brackets, plus 1% and 20 us for the
        # calibration; a wrong rate would be off by the counter's GHz).
        text = subprocess.run([tool, "stats", trace], check=True, capture_output=True,
                              text=True, timeout=60).stdout
        at = {l.split()[2]: int(l.split()[3][1:]) for l in text.splitlines()
              if l.startswith("log clock ")}
        d = at["b"] - at["a"]
        if not clk[0] * 0.99 - 20000 <= d <= clk[1] * 1.01 + 20000:
            fail("clock %r: log lines %d ns apart, expected %d..%d" % (clock, d, clk[0], clk[1]))
        print("counts ok (clock %r, %d ns between the clock logs):" % (clock, d),
              {k: got.get(k if not k.endswith("_min") else k[:-4]) for k in expect})

    # Truncated copies: read up to the last whole event, never more.
    data = open(trace, "rb").read()
    last = -1
    for cut in (len(data) // 4, len(data) // 2, len(data) - 5, len(data) - 1):
        part = os.path.join(tmp, "cut.trace")
        open(part, "wb").write(data[:cut])
        n = stats(part)["events"]
        if not (last <= n <= got["events"]):
            fail("truncated at %d: %d events (previous cut %d, whole %d)" % (cut, n, last, got["events"]))
        last = n
    if last == 0:
        fail("a trace cut by one byte reads no event")
    print("truncation ok")

    # Flushes: normal exit (atexit), the deadlock report, the SIGQUIT dump,
    # each traced from the start by GORODEBUG=trace=FILE.
    children = [("exit", ""), ("deadlock", ""), ("sigquit", ",sigquit"), ("fork", ",sigquit")]
    if os.environ.get("GORO_TRACE_CHECK_NO_DEADLOCK"):
        children.pop(1)   # TSan: the deadlock check cannot fire (CMakeLists.txt)
    for how, debug in children:
        path = os.path.join(tmp, how + ".trace")
        env = dict(os.environ, GORODEBUG="trace=" + path + debug)
        r = subprocess.run([prog, "child", how], env=env, capture_output=True, timeout=60)
        if (r.returncode == 0) != (how in ("exit", "fork")):
            fail("child %s: exit status %d" % (how, r.returncode))
        out = subprocess.run([tool, "stats", path], check=True, capture_output=True, text=True,
                             timeout=60).stdout
        if "log child " + how not in out:
            fail("child %s: the trace lacks its log line:\n%s" % (how, out))
        if how in ("deadlock", "sigquit") and "park[chan receive]" not in out:
            fail("child %s: the trace lacks the blocked goroutine's park" % how)
        if how == "fork" and ("log child fork done" not in out or "forked" in out):
            fail("child fork: its trace was taken over by its child (GORODEBUG inherited):\n%s" % out)
    print("flush on exit, deadlock, SIGQUIT ok; a fork+exec'd child leaves the file alone")

    # JSON
    js = os.path.join(tmp, "t.json")
    subprocess.run([tool, "json", trace, js], check=True, timeout=60)
    doc = json.load(open(js))
    evs = doc["traceEvents"]
    kinds = {}
    for e in evs:
        kinds[e["ph"]] = kinds.get(e["ph"], 0) + 1
    for ph in "XsfCM":
        if not kinds.get(ph):
            fail("json: no %r events" % ph)
    ptracks = {e["tid"] for e in evs if e["ph"] == "M" and e["pid"] == 1 and e["name"] == "thread_name"}
    if ptracks != set(range(procs)):
        fail("json: P tracks %s, expected P0..P%d" % (sorted(ptracks), procs - 1))
    # On a loaded machine one P may do all the work: runs on 1..procs P tracks.
    ran = {e["tid"] for e in evs if e["ph"] == "X" and e["pid"] == 1}
    if not ran or not ran <= ptracks:
        fail("json: runs on P tracks %s, expected some of %s" % (sorted(ran), sorted(ptracks)))
    names = {e["name"] for e in evs if e["ph"] == "C"}
    if names != {"runnable", "threads"}:
        fail("json counters: %s" % names)
    nthreads = [e["args"]["threads"] for e in evs if e["ph"] == "C" and e["name"] == "threads"]
    if not any(b < a for a, b in zip(nthreads, nthreads[1:])):
        fail("json: the threads counter never drops (test_exectrace's plain thread ends)")
    if not any("test_exectrace.c:" in e["name"] for e in evs if e["ph"] == "X"):
        fail("json: slices do not name their creation site")
    print("json ok:", kinds)

    # Summary
    summ = subprocess.run([tool, "summary", trace], check=True, capture_output=True, text=True,
                          timeout=60).stdout
    for s in ("blocked on chan receive", "blocked on IO wait", "runnable p50", "utilized"):
        if s not in summ:
            fail("summary lacks %r" % s)
    print("summary ok")

    # HTML in headless Chromium
    html = os.path.join(tmp, "t.html")
    subprocess.run([tool, "html", trace, html], check=True, timeout=60)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        fail("chromium not installed (Debian package chromium; .ci/run installs it)")
    png = os.path.join(tmp, "t.png")
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                    "--hide-scrollbars", "--user-data-dir=" + os.path.join(tmp, "profile"),
                    "--window-size=1000,800", "--screenshot=" + png, "file://" + html],
                   check=True, capture_output=True, timeout=120)
    rows = png_rows(png)
    band = (0x20, 0x30, 0x40)
    col = [r[2] for r in rows]           # in the label column, left of "P0"
    bands, inside = 0, False
    for px in col:
        isband = all(abs(a - b) <= 2 for a, b in zip(px, band))
        if isband and not inside:
            bands += 1
        inside = isband
    if bands != procs:
        fail("screenshot shows %d P bands, expected %d" % (bands, procs))
    colored = sum(1 for r in rows for px in r[100:]
                  if max(px) - min(px) > 40)   # slices are saturated colours
    if colored < 200:
        fail("screenshot: timeline looks blank (%d coloured pixels)" % colored)
    # The other bands (goro-trace.c's html_tail names the colours): one of
    # counters with both lines, goroutine bands with regions and log
    # marks, and instant events' white ticks on the P bands.
    def near(px, c):
        return all(abs(a - b) <= 2 for a, b in zip(px, c))

    def band_rows(bg):
        """Row ranges whose label column has background bg."""
        out, start = [], None
        for y, px in enumerate(col + [(255, 255, 255)]):
            if near(px, bg) and start is None:
                start = y
            elif not near(px, bg) and start is not None:
                out.append((start, y))
                start = None
        return out

    def count(ranges, c):
        return sum(1 for a, b in ranges for y in range(a, b) for px in rows[y][80:] if near(px, c))

    counters = band_rows((0x1c, 0x2c, 0x1c))
    if len(counters) != 1:
        fail("screenshot shows %d counter bands, expected 1" % len(counters))
    for name, c in (("runnable", (0x40, 0xe0, 0xff)), ("threads", (0xff, 0x80, 0xff))):
        if count(counters, c) < 20:
            fail("screenshot: no %s counter line" % name)
    gbands = band_rows((0x30, 0x20, 0x40))
    if not gbands:
        fail("screenshot: no goroutine bands of regions and logs")
    if count(gbands, (0xc0, 0xa0, 0xff)) < 5:
        fail("screenshot: no regions drawn")
    if count(gbands, (0xff, 0xff, 0x00)) < 36:
        fail("screenshot: no log marks drawn")
    ticks = count(band_rows(band), (0xff, 0xff, 0xff))
    if ticks < 8:
        fail("screenshot: no instant events on the P bands (%d white pixels)" % ticks)
    print("html ok: %d P bands, %d coloured pixels, counters, %d goroutine bands, "
          "%d instant-event pixels" % (bands, colored, len(gbands), ticks))
finally:
    shutil.rmtree(tmp, ignore_errors=True)
