#!/usr/bin/env python3
"""Turn bench.sh's raw "key value" lines into the Markdown results table."""
import statistics
import sys

raw, reps, nconn, machine, elapsed, t, ti, rt, mtus = sys.argv[1:10]
vals = {}
for line in open(raw):
    parts = line.split()
    if len(parts) == 2:
        try:
            vals.setdefault(parts[0], []).append(float(parts[1]))
        except ValueError:
            pass


def stat(key):
    v = vals.get(key)
    if not v:
        return None
    return statistics.median(v), min(v), max(v)


def fmt(s, scale, digits):
    if s is None:
        return "n/a"
    m, lo, hi = (x / scale for x in s)
    return f"{m:.{digits}f} ({lo:.{digits}f}–{hi:.{digits}f})"


def row(name, lk, wk, scale, digits, target, higher_better=True):
    ls, ws = stat(lk), stat(wk)
    ratio = "n/a"
    verdict = ""
    if ls and ws and ls[0] > 0:
        r = ws[0] / ls[0]
        ratio = f"{r:.2f}×"
        if target:
            ok = r >= target if higher_better else r <= target
            verdict = " ✓" if ok else " ✗"
    tgt = "" if not target else (f"≥ {target}×" if higher_better else f"≤ {target}×")
    return f"| {name} | {fmt(ls, scale, digits)} | {fmt(ws, scale, digits)} | {ratio}{verdict} | {tgt} |"


hdr = ["| Test | Linux | wirestack | wirestack / Linux | Target |",
       "|---|---|---|---|---|"]
out = []
out.append(f"Machine: {machine}.  {reps} repetitions of each figure, Linux and "
           f"wirestack alternating; median (min–max).  Bulk {t} s per run, "
           f"request/response {rt} s, impaired {ti} s; whole run {elapsed} s.")
out.append("")
for mtu in mtus.split():
    out.append(f"**MTU {mtu}**")
    out.append("")
    out += hdr
    out.append(row("Bulk Linux→host, Gbit/s", f"bulk{mtu}.lx.bps", f"bulk{mtu}.wsrx.bps", 1e9, 2, 0.6))
    out.append(row("Bulk host→Linux, Gbit/s", f"bulk{mtu}.lxrev.bps", f"bulk{mtu}.wstx.bps", 1e9, 2, 0.5))
    out.append(row("CPU s/GB at the receiving host (Linux→host)", f"bulk{mtu}.lx.cpu_a", f"bulk{mtu}.wsrx.cpu_a", 1, 2, None, False))
    out.append(row("CPU s/GB at the Linux sender (Linux→host)", f"bulk{mtu}.lx.cpu_l", f"bulk{mtu}.wsrx.cpu_l", 1, 2, None, False))
    out.append(row("CPU s/GB at the sending host (host→Linux)", f"bulk{mtu}.lxrev.cpu_a", f"bulk{mtu}.wstx.cpu_a", 1, 2, None, False))
    out.append(row("CPU s/GB at the Linux receiver (host→Linux)", f"bulk{mtu}.lxrev.cpu_l", f"bulk{mtu}.wstx.cpu_l", 1, 2, None, False))
    if mtu == "1500":
        out.append(row("Request/response (1 byte), transactions/s", "rr.lx.tps", "rr.ws.tps", 1, 0, 0.8))
        out.append(row("Request/response p50 latency, µs", "rr.lx.p50", "rr.ws.p50", 1, 1, None, False))
        out.append(row("Request/response p99 latency, µs", "rr.lx.p99", "rr.ws.p99", 1, 1, None, False))
        out.append(row("Connect + request + close, per s", "crr.lx.tps", "crr.ws.tps", 1, 0, 0.5))
        out.append(row(f"{int(nconn):,} held connections, bytes each", "scale.lx.bpc", "scale.ws.bpc", 1, 0, None, False)
                   + "")
        out.append(row(f"Time to open {int(nconn):,} connections, s", "scale.lx.setup_s", "scale.ws.setup_s", 1, 2, None, False))
        for loss in ("0.1", "1", "5"):
            tgt = 0.8 if loss == "1" else None
            out.append(row(f"Goodput host→Linux, 10 ms each way, {loss} % loss, Mbit/s",
                           f"loss{loss}.lx.bps", f"loss{loss}.ws.bps", 1e6, 1, tgt))
        if stat("loss1.bbr.bps"):
            out.append("| (reference) Linux with BBR instead of CUBIC, 1 % loss, Mbit/s | "
                       f"{fmt(stat('loss1.bbr.bps'), 1e6, 1)} | – | – |  |")
    out.append("")
out.append("Linux runs CUBIC (iperf3 -C cubic), like wirestack.  "
           "\"host\" is the Linux kernel in the Linux column and wirestack in the "
           "wirestack column; the stock iperf3 runs at the Linux end.  CPU is "
           "what iperf3 reports for each process (user + system), so kernel "
           "work done in softirq outside the processes is not counted.  "
           "Memory per connection: wirestack's server RSS growth; for Linux, "
           "the echo server's RSS growth plus half the kernel slab growth "
           "(both ends' sockets live in the one kernel).  Target for 10,000 "
           "connections: ≤ 8 KB each for wirestack (excluding data buffers).")
print("\n".join(out))
