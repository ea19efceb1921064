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


def measure(cmd, runs):
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        walls.append((time.perf_counter() - start) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) * 1000)
    return statistics.median(walls), statistics.median(cpus)


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
    for label, cmd in groups:
        wall, cpu = measure(cmd, runs)
        results.append((label, wall, cpu))
        print(f"{label:<36} {wall:9.2f} {cpu:9.2f}")
    return results


if __name__ == "__main__":
    main()
