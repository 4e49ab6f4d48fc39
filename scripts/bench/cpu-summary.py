#!/usr/bin/env python3
"""Summarises an async-profiler collapsed CPU profile (one 'frame;frame;... count' line per stack).

    scripts/bench/cpu-summary.py FILE [TOP]

Prints (1) where the CPU went by thread kind (the JIT compilers, GC, JFR, the rest is the application), (2) the
application's samples by the innermost io.llmsidecar frame of each stack (the sidecar's code that caused the work,
library code below it included), and (3) the top self frames.
"""
import sys
from collections import Counter


def thread_kind(frames):
    joined = ";".join(frames[:6])
    if "CompileBroker" in joined or "C2Compiler" in joined or "Compiler::compile" in joined:
        return "JIT compiler threads"
    if "GC" in joined or "Gen" in frames[0] or "VMThread" in joined or "SafepointSynchronize" in joined:
        return "GC and VM operations"
    if "Jfr" in joined or "jfr" in joined:
        return "JFR"
    return "application threads"


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    kinds, own, selfs = Counter(), Counter(), Counter()
    total = 0
    with open(path) as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack:
                continue
            n = int(count)
            frames = stack.split(";")
            total += n
            kind = thread_kind(frames)
            kinds[kind] += n
            selfs[frames[-1]] += n
            if kind == "application threads":
                mine = next((fr for fr in reversed(frames) if fr.startswith("io/llmsidecar/")), None)
                own[mine or "(no io.llmsidecar frame: Helidon server/client, virtual threads, kernel)"] += n
    print(f"{total} samples (1 ms of CPU each)")
    print("\n== CPU by thread kind")
    for k, n in kinds.most_common():
        print(f"{100 * n / total:6.1f}%  {k}")
    print("\n== Application threads: innermost io.llmsidecar frame (percent of all samples)")
    for k, n in own.most_common(top):
        print(f"{100 * n / total:6.1f}%  {k}")
    print("\n== Top self frames")
    for k, n in selfs.most_common(top):
        print(f"{100 * n / total:6.1f}%  {k}")


main()
