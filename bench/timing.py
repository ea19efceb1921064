"""Times whole commands: median wall and CPU (user + system) milliseconds.

Used by the bench/*.sh scripts. CPU time is reported beside wall time
because it is far less disturbed by other work on the machine.

    python3 bench/timing.py RUNS LABEL -- CMD... [--- LABEL -- CMD...]
"""
import os
import resource
import statistics
import subprocess
import sys
import time


def run_once(cmd):
    """One run of `cmd`: its wall and CPU milliseconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = (time.perf_counter() - start) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) * 1000
    return wall, cpu


def measure_all(cmds, runs):
    """Medians for each command. The commands take turns, one run each a
    round, so a change in the machine's load falls on all of them alike
    instead of on whichever ran at the time."""
    samples = [([], []) for _ in cmds]
    for cmd in cmds:
        run_once(cmd)  # warm the page cache and the binary
    for _ in range(runs):
        for (walls, cpus), cmd in zip(samples, cmds):
            wall, cpu = run_once(cmd)
            walls.append(wall)
            cpus.append(cpu)
    return [(statistics.median(w), statistics.median(c)) for w, c in samples]


def main():
    runs = int(sys.argv[1])
    groups, current = [], None
    for arg in sys.argv[2:]:
        if arg == "---":
            current = None
        elif current is None:
            current = [arg, []]
            groups.append(current)
        elif arg == "--" and not current[1]:
            continue
        else:
            current[1].append(arg)
    results = []
    print(f"{'command':<36} {'wall ms':>9} {'cpu ms':>9}   (median of {runs}, load {os.getloadavg()[0]:.1f})")
    for (label, _), (wall, cpu) in zip(groups, measure_all([c for _, c in groups], runs)):
        results.append((label, wall, cpu))
        print(f"{label:<36} {wall:9.2f} {cpu:9.2f}")
    return results


if __name__ == "__main__":
    main()
