#!/usr/bin/env python3
"""The anchors of cafman-bench's workloads: Python's multiprocessing
SyncManager (--system python, over TCP or its default Unix socket) and Redis
through redis-py (--system redis, a redis-server already running), measured
as cafman-bench measures: N client processes on ONE shared object, warmed up,
started together; calls/s = calls per unit x units / (last finish - start).

  python3 bench/anchors.py --system python --workloads dict_set_get --clients 1,4 \
      --repeats 3 --units 10000 [--transport tcp|unix] [--out results.json]
  python3 bench/anchors.py --system redis --redis-port PORT ...

Prints one JSON object per line (as cafman-bench does) and, with --out,
writes {"results": [{"workload", "clients", "calls_per_s": {"median", "runs"}}]}.
The Python side needs the standard library only, the Redis side redis-py
(Debian's python3-redis). In Redis a dict is a hash (HSET, HGET), a queue a
list (RPUSH, BLPOP) and a lock a list holding one token (BLPOP takes it,
RPUSH gives it back), each one command per call.
"""

import argparse
import json
import multiprocessing as mp
import os
import statistics
import tempfile
import time

WARMUP_UNITS = 200
# A Python manager creates and destroys about 700 objects a second over its
# Unix socket and 5 to 10 over TCP (each create and each release opens an
# authenticated connection of its own): a hundredth of the units keeps such
# a run to seconds or minutes.
UNIT_SCALE = {"create_destroy": 0.01, "value_1mib": 0.01}  # the latter moves 2 MiB a unit


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


def value_1mib(shared, index, units):
    key = "k%d" % index
    payload = os.urandom(1 << 20)
    for _ in range(units):
        shared[key] = payload
        shared[key]


def redis_value_1mib(conn, index, units):
    key = "k%d" % index
    payload = os.urandom(1 << 20)
    for _ in range(units):
        conn.hset("d", key, payload)
        conn.hget("d", key)


def create_destroy(shared, index, units):
    for _ in range(units):
        d = shared.dict()
        del d  # the proxy's decref, a round trip of its own in Python


def redis_dict_set_get(conn, index, units):
    keys = ["k%d.%d" % (index, i) for i in range(64)]
    for i in range(units):
        key = keys[i % 64]
        conn.hset("d", key, i if i % 2 else "v%d" % i)
        conn.hget("d", key)


def redis_lock_acquire_release(conn, index, units):
    for _ in range(units):
        conn.blpop("lock", 0)
        conn.rpush("lock", 1)


def redis_queue_put(conn, index, units):
    for i in range(units):
        conn.rpush("q", i)


def redis_queue_get(conn, index, units):
    for _ in range(units):
        conn.blpop("q", 0)


def redis_fresh(port, workload):
    """A handle to the shared object: its server's port, emptied first."""
    import redis
    conn = redis.Redis(host="127.0.0.1", port=port)
    conn.delete("d", "lock", "q")
    if workload == "lock_acquire_release":
        conn.rpush("lock", 1)
    return port


# workload -> {system: (make the shared object, roles: one function per process kind)}
WORKLOADS = {
    "dict_set_get": {
        "python": (lambda m: m.dict(), [dict_set_get]),
        "redis": (lambda port: redis_fresh(port, "dict_set_get"), [redis_dict_set_get])},
    "lock_acquire_release": {
        "python": (lambda m: m.Lock(), [lock_acquire_release]),
        "redis": (lambda port: redis_fresh(port, "lock_acquire_release"),
                  [redis_lock_acquire_release])},
    "queue_throughput": {
        "python": (lambda m: m.Queue(), [queue_put, queue_get]),
        "redis": (lambda port: redis_fresh(port, "queue_throughput"),
                  [redis_queue_put, redis_queue_get])},
    "value_1mib": {
        "python": (lambda m: m.dict(), [value_1mib]),
        "redis": (lambda port: redis_fresh(port, "value_1mib"), [redis_value_1mib])},
    # Redis has no objects to create: a key exists while it holds something.
    "create_destroy": {"python": (lambda m: m, [create_destroy])},
}


def warm_up(role, shared, index):
    # A queue's connection is warmed without changing the queue's contents.
    if role in (queue_put, queue_get):
        for _ in range(WARMUP_UNITS):
            shared.qsize()
    elif role in (redis_queue_put, redis_queue_get):
        for _ in range(WARMUP_UNITS):
            shared.llen("q")
    else:
        role(shared, index, WARMUP_UNITS)


def client(role, shared, index, units, ready, go, finished):
    if role.__name__.startswith("redis_"):
        import redis
        shared = redis.Redis(host="127.0.0.1", port=shared)  # a connection of its own
    warm_up(role, shared, index)
    ready.release()
    go.wait()
    role(shared, index, units)
    finished.put(time.monotonic())


def run_on_cpu(cpu):
    """From now on this thread, and what it forks, runs on `cpu` only (None: anywhere)."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})


def run_once(system, manager, workload, clients, units):
    make, roles = WORKLOADS[workload][system]
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
    parser.add_argument("--system", choices=["python", "redis"], default="python")
    parser.add_argument("--transport", choices=["tcp", "unix"], default="tcp",
                        help="the Python manager's")
    parser.add_argument("--redis-port", type=int, help="a running redis-server's, on 127.0.0.1")
    parser.add_argument("--server-cpu", type=int,
                        help="run the Python manager process on this CPU only")
    parser.add_argument("--client-cpu", type=int, help="run the clients on this CPU only")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.system == "redis" and not args.redis_port:
        parser.error("--system redis needs --redis-port")
    if (args.server_cpu is None) != (args.client_cpu is None):
        parser.error("--server-cpu and --client-cpu go together")

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        def address(run):
            return ("127.0.0.1", 0) if args.transport == "tcp" else os.path.join(tmp, "m%d" % run)

        for workload in args.workloads.split(","):
            if workload not in WORKLOADS:
                raise SystemExit("unknown workload %r (%s)" % (workload, ", ".join(WORKLOADS)))
            if args.system not in WORKLOADS[workload]:
                print("%s has no %s workload" % (args.system, workload), flush=True)
                continue
            for clients in [int(n) for n in args.clients.split(",")]:
                runs = []
                units = max(1, int(args.units * UNIT_SCALE.get(workload, 1)))
                for _ in range(args.repeats):
                    if args.system == "redis":
                        run_on_cpu(args.client_cpu)
                        runs.append(run_once("redis", args.redis_port, workload, clients,
                                             units))
                        continue
                    # Forked processes inherit the CPUs this thread may run on.
                    run_on_cpu(args.server_cpu)
                    with mp.managers.SyncManager(address=address(len(results) * 100 + len(runs))) as manager:
                        run_on_cpu(args.client_cpu)
                        runs.append(run_once("python", manager, workload, clients, units))
                row = {"system": args.system, "workload": workload, "clients": clients,
                       "transport": "tcp" if args.system == "redis" else args.transport,
                       "calls_per_s": {"median": statistics.median(runs), "runs": runs}}
                print(json.dumps(row), flush=True)
                results.append(row)
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"results": results}, f)


if __name__ == "__main__":
    import multiprocessing.managers  # noqa: F401  (mp.managers below)
    main()
