#!/usr/bin/env python3
"""Python's multiprocessing SyncManager on cafman-bench's workloads, measured
the same way: N client processes on ONE shared object, warmed up, started
together; calls/s = calls per unit x units / (last finish - start).

  python3 bench/python_manager_bench.py --workloads dict_set_get --clients 1,4 \
      --repeats 3 --units 10000 [--transport tcp|unix] [--out results.json]

Prints one JSON object per line (as cafman-bench does) and, with --out,
writes {"results": [{"workload", "clients", "calls_per_s": {"median", "runs"}}]}.
Standard library only.
"""

import argparse
import json
import multiprocessing as mp
import os
import statistics
import tempfile
import time

WARMUP_UNITS = 200


def dict_set_get(shared, index, units):
    keys = ["k%d.%d" % (index, i) for i in range(64)]
    for i in range(units):
        key = keys[i % 64]
        shared[key] = i if i % 2 else "v%d" % i
        shared[key]


def lock_acquire_release(shared, index, units):
    for _ in range(units):
        shared.acquire()
        shared.release()


def queue_put(shared, index, units):
    for i in range(units):
        shared.put(i)


def queue_get(shared, index, units):
    for _ in range(units):
        shared.get()


# workload -> (make the shared object, roles: one function per process kind)
WORKLOADS = {
    "dict_set_get": (lambda m: m.dict(), [dict_set_get]),
    "lock_acquire_release": (lambda m: m.Lock(), [lock_acquire_release]),
    "queue_throughput": (lambda m: m.Queue(), [queue_put, queue_get]),
}


def client(role, shared, index, units, ready, go, finished):
    if role is queue_get or role is queue_put:
        # Warm the connection without changing the queue's contents.
        for _ in range(WARMUP_UNITS):
            shared.qsize()
    else:
        role(shared, index, WARMUP_UNITS)
    ready.release()
    go.wait()
    role(shared, index, units)
    finished.put(time.monotonic())


def run_once(manager, workload, clients, units):
    make, roles = WORKLOADS[workload]
    shared = make(manager)
    ctx = mp.get_context("fork")
    ready, go, finished = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=client, args=(role, shared, i, units, ready, go, finished))
             for role in roles for i in range(clients)]
    for p in procs:
        p.start()
    for _ in procs:
        if not ready.acquire(timeout=60):
            raise SystemExit("a client did not get ready within 60 s")
    start = time.monotonic()
    go.set()
    ends = [finished.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    # One unit is 2 calls; a queue unit is one item, put by one process and got by another.
    return 2 * clients * units / (max(ends) - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workloads", default="dict_set_get,lock_acquire_release,queue_throughput")
    parser.add_argument("--clients", default="1,4")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--units", type=int, default=10000, help="units per client and run")
    parser.add_argument("--transport", choices=["tcp", "unix"], default="tcp")
    parser.add_argument("--out")
    args = parser.parse_args()

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        def address(run):
            return ("127.0.0.1", 0) if args.transport == "tcp" else os.path.join(tmp, "m%d" % run)

        for workload in args.workloads.split(","):
            if workload not in WORKLOADS:
                raise SystemExit("unknown workload %r (%s)" % (workload, ", ".join(WORKLOADS)))
            for clients in [int(n) for n in args.clients.split(",")]:
                runs = []
                for _ in range(args.repeats):
                    with mp.managers.SyncManager(address=address(len(results) * 100 + len(runs))) as manager:
                        runs.append(run_once(manager, workload, clients, args.units))
                row = {"workload": workload, "clients": clients, "transport": args.transport,
                       "calls_per_s": {"median": statistics.median(runs), "runs": runs}}
                print(json.dumps(row), flush=True)
                results.append(row)
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"results": results}, f)


if __name__ == "__main__":
    import multiprocessing.managers  # noqa: F401  (mp.managers below)
    main()
