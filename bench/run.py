"""`make bench`: Gatehouse's hot paths under gunicorn, loaded with wrk, against a bare Django view.

It seeds a throwaway database through the product's own code, starts gunicorn (2 sync
workers) on 127.0.0.1, and loads each path with wrk in interleaved rounds, the bare view
first in every round. It prints medians of requests/s, latency, the server's CPU time per
request (gunicorn's master and workers, from /proc) and each path's cost as a multiple of
the bare view's in the same round, plus SQL statements per request and the workers' memory.

SQLite in a temporary folder by default; PostgreSQL and Redis when DATABASE_URL and
REDIS_URL are set (the database is emptied first, so its name must contain "bench"):

    .venv/bin/python bench/run.py [--quick] [--rounds 3] [--seconds 10] [--expired 1000000] [--soak 300]

bench/token_endpoint.py, run on its own, compares client-secret hashers at the token endpoint.
"""

import argparse
import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASE_DIR = HERE.parent
HOST = "127.0.0.1"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# High enough that no limit is ever reached in a run, low enough that the counting still happens.
UNLIMITED = "1000000000"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1 round, 3 s per path")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--seconds", type=int, default=10, help="load per path per round (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load per path first")
    parser.add_argument(
        "--expired", type=int, default=0, metavar="N", help="seed N expired token pairs first"
    )
    parser.add_argument("--sql", action="store_true", help="also print each path's SQL statements")
    parser.add_argument(
        "--soak",
        type=int,
        default=0,
        metavar="SECONDS",
        help="afterwards, a mixed load of every path for SECONDS, sampling worker RSS",
    )
    parser.add_argument("--port", type=int, default=8201)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.seconds, args.warmup = 1, 3, 1
    return args


def ensure_tools() -> None:
    if shutil.which("wrk") is None:
        if os.geteuid() != 0:
            raise SystemExit("The bench needs wrk: sudo apt-get install -y wrk")
        print("Installing wrk (apt-get)…", flush=True)
        if subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False).returncode:
            subprocess.run(["apt-get", "update", "-qq"], check=True)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        raise SystemExit(
            "The bench needs gunicorn (requirements/base.txt): make bench installs it."
        ) from None


def configure_environment(var_dir: str) -> None:
    """The product's settings from the environment, as gunicorn's workers will read them."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        GATEHOUSE_VAR_DIR=var_dir,
        GATEHOUSE_BENCH_RUN=f"bench-{uuid.uuid4().hex[:12]}",
        GATEHOUSE_SSL_REDIRECT="false",  # wrk speaks plain HTTP to 127.0.0.1
        GATEHOUSE_LOG_LEVEL="WARNING",
        GATEHOUSE_EMAIL="console",
        GATEHOUSE_OAUTH_RATE_PER_CLIENT=UNLIMITED,
        GATEHOUSE_OAUTH_RATE_PER_ADDRESS=UNLIMITED,
        GATEHOUSE_API_RATE=f"{UNLIMITED}/hour",
        GATEHOUSE_API_ANON_RATE=f"{UNLIMITED}/hour",
        PYTHONPATH=os.pathsep.join(filter(None, [str(BASE_DIR), os.environ.get("PYTHONPATH")])),
    )
    if str(BASE_DIR) not in sys.path:
        sys.path.insert(0, str(BASE_DIR))


# --- gunicorn and /proc ----------------------------------------------------------------------


def _stat(pid: int) -> list[str]:
    # Fields after the command name, which may itself hold spaces and parentheses.
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time of `pids` (proc(5): utime and stime, fields 14 and 15)."""
    total = 0
    for pid in pids:
        fields = _stat(pid)
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Gunicorn:
    port: int
    workers: int
    log: Path
    process: subprocess.Popen | None = None

    def start(self) -> None:
        with socket.socket() as probe:
            if probe.connect_ex((HOST, self.port)) == 0:
                raise SystemExit(f"Something already listens on {HOST}:{self.port}; pass --port.")
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "portal.wsgi:application",
            f"--bind={HOST}:{self.port}",
            f"--workers={self.workers}",
            "--worker-class=sync",
            f"--chdir={BASE_DIR}",
            "--log-level=warning",
        ]
        with self.log.open("wb") as log:
            # A session of its own: Ctrl-C reaches only this script, whose `finally` stops it.
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(
                    f"gunicorn exited ({self.process.returncode}):\n{self.log.read_text()[-3000:]}"
                )
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}/healthz/", timeout=5) as answer:
                    if answer.status == 200 and len(self.worker_pids()) == self.workers:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"gunicorn did not answer within 90 s:\n{self.log.read_text()[-3000:]}")

    def worker_pids(self) -> list[int]:
        master = self.process.pid
        children = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if int(_stat(int(entry.name))[1]) == master:
                        children.append(int(entry.name))
                except (OSError, IndexError):
                    continue  # gone meanwhile
        return sorted(children)

    def pids(self) -> list[int]:
        return [self.process.pid, *self.worker_pids()]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        workers = self.worker_pids()
        self.process.send_signal(signal.SIGTERM)  # gunicorn's graceful shutdown, workers included
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            for pid in [self.process.pid, *workers]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.process.wait()


# --- load -------------------------------------------------------------------------------------


@dataclass
class Sample:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float  # gunicorn CPU per request
    unexpected: int
    socket_errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


@dataclass
class Series:
    samples: list[Sample] = field(default_factory=list)
    cpu_ratios: list[float] = field(default_factory=list)
    time_ratios: list[float] = field(default_factory=list)

    def median(self, name: str) -> float:
        return statistics.median(getattr(s, name) for s in self.samples)


def wrk(target, *, url: str, seconds: int, args: argparse.Namespace) -> dict[str, int]:
    command = [
        "wrk",
        f"--threads={args.threads}",
        f"--connections={args.connections}",
        f"--duration={seconds}s",
        "--timeout=10s",
        f"--script={HERE / 'request.lua'}",
        url + target.path,
        "--",
        target.method,
        target.body,
        *(f"{name}: {value}" for name, value in target.headers.items()),
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next((line for line in output.splitlines() if line.startswith("BENCH ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no result for {target.label}:\n{output}")
    return {key: int(float(value)) for key, value in (pair.split("=") for pair in line.split()[1:])}


def measure(server: Gunicorn, target, *, url: str, seconds: int, args) -> Sample:
    workers = server.worker_pids()
    before = cpu_seconds(server.pids())
    result = wrk(target, url=url, seconds=seconds, args=args)
    after = cpu_seconds(server.pids())
    if server.worker_pids() != workers:
        print(f"  ! a worker was replaced during {target.label}: its CPU time is missing", flush=True)
    requests = max(1, result["requests"])
    return Sample(
        requests=result["requests"],
        seconds=result["duration_us"] / 1e6,
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        cpu_ms=(after - before) * 1000 / requests,
        unexpected=result["unexpected"],
        socket_errors=result["socket_errors"],
    )


def preflight(targets, *, url: str) -> None:
    """One request of each target against gunicorn: a 200 with the expected text, or stop."""
    for target in targets:
        request = urllib.request.Request(
            url + target.path, data=target.body.encode() or None, headers=target.headers, method=target.method
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                status, body = answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read().decode()
        if status != 200 or target.expect not in body:
            raise SystemExit(f"{target.label}: gunicorn answered {status} {body[:300]!r}")


def load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


# --- report -----------------------------------------------------------------------------------


def print_memory(label: str, server: Gunicorn) -> None:
    workers = ", ".join(f"{pid}: {rss_mib(pid):.0f} MiB" for pid in server.worker_pids())
    print(f"Worker RSS at {label}: {workers} (master {rss_mib(server.process.pid):.0f} MiB)", flush=True)


def print_table(targets, series: dict[str, Series]) -> None:
    header = (
        f"{'path':<32}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms/req':>12}"
        f"{'xbare CPU':>11}{'xbare time':>12}{'SQL/req':>9}"
    )
    print(header)
    print("-" * len(header))
    for target in targets:
        s = series[target.label]
        print(
            f"{target.label:<32}{s.median('rate'):>9.0f}{s.median('p50_ms'):>9.1f}{s.median('p99_ms'):>9.1f}"
            f"{s.median('cpu_ms'):>12.2f}{statistics.median(s.cpu_ratios):>11.1f}"
            f"{statistics.median(s.time_ratios):>12.1f}{len(target.queries):>9}"
        )
    print(
        "xbare CPU: server CPU per request over the bare view's; xbare time: the bare view's req/s over "
        "the path's;\nboth per round, then the median. SQL/req: statements of one steady-state request."
    )
    for target in targets:
        samples = series[target.label].samples
        unexpected, errors = sum(s.unexpected for s in samples), sum(s.socket_errors for s in samples)
        if unexpected or errors:
            print(f"! {target.label}: {unexpected} answers other than 200, {errors} socket errors")


def soak(server: Gunicorn, targets, *, url: str, args) -> list[tuple[float, float]]:
    """Load every path in turn, 5 s each, for `args.soak` seconds: (elapsed s, total worker RSS MiB).

    The paths write (tokens, last-used stamps, audit rows) as in production, so a leak anywhere in
    the request cycle shows as RSS that keeps climbing rather than settling.
    """
    samples, started = [], time.monotonic()
    workers = server.worker_pids()
    while (elapsed := time.monotonic() - started) < args.soak:
        target = targets[len(samples) % len(targets)]
        samples.append((elapsed, sum(rss_mib(pid) for pid in workers)))
        wrk(target, url=url, seconds=min(5, max(1, int(args.soak - elapsed))), args=args)
    samples.append((time.monotonic() - started, sum(rss_mib(pid) for pid in workers)))
    if server.worker_pids() != workers:
        print("  ! a worker was replaced during the soak: its memory is missing", flush=True)
    return samples


def print_soak(samples: list[tuple[float, float]]) -> None:
    """The first and the last fifth of the run compared: flat means within ±10%."""
    fifth = max(1, len(samples) // 5)
    first = statistics.median(rss for _, rss in samples[:fifth])
    last = statistics.median(rss for _, rss in samples[-fifth:])
    change = (last - first) / first * 100
    verdict = "flat" if abs(change) <= 10 else "NOT flat"
    print(
        f"\nSoak: {samples[-1][0]:.0f} s of mixed load, {len(samples)} RSS samples of the workers' total."
        f"\n  first fifth {first:.0f} MiB, last fifth {last:.0f} MiB, peak {max(r for _, r in samples):.0f} MiB:"
        f" {change:+.1f}%, {verdict} (±10%)."
    )
    step = max(1, len(samples) // 10)
    print("  " + " · ".join(f"{t:.0f} s {rss:.0f}" for t, rss in samples[::step]))


def print_sql(targets) -> None:
    for target in targets:
        print(f"\n{target.label}: {len(target.queries)} SQL statements")
        for number, sql in enumerate(target.queries, 1):
            print(f"  {number:>2}. {sql}")


def main() -> int:
    args = parse_args()
    # A `kill` or a CI timeout stops gunicorn too, through the same `finally` as Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ensure_tools()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gatehouse-bench-") as var_dir:
        configure_environment(var_dir)
        from bench import seed

        print("Setting up: migrate, collectstatic, seed…", flush=True)
        database = seed.set_up()
        targets = seed.seed()
        seed.settle_cache()
        seed.count_queries(targets)
        if args.expired:
            seed.seed_expired(args.expired)
        from django.conf import settings
        from django.db import connections

        cache = settings.CACHES["default"]["BACKEND"].rpartition(".")[2]
        connections.close_all()  # the bench's own connection must hold no lock during the load

        server = Gunicorn(args.port, args.workers, Path(var_dir) / "gunicorn.log")
        url = f"http://{HOST}:{args.port}"
        series = {target.label: Series() for target in targets}
        try:
            server.start()
            preflight(targets, url=url)
            print(
                f"gunicorn {args.workers} sync workers on {url} · {database} · {cache}"
                f" · {args.expired:,} expired tokens\nwrk {args.threads} threads x {args.connections}"
                f" connections · {args.rounds} round(s) x {args.seconds} s per path · {os.cpu_count()} CPUs,"
                f" load average {load_average()}",
                flush=True,
            )
            print_memory("start", server)
            for target in targets:
                measure(server, target, url=url, seconds=args.warmup, args=args)
            for number in range(1, args.rounds + 1):
                print(f"Round {number}/{args.rounds}…", flush=True)
                bare = None
                for target in targets:
                    sample = measure(server, target, url=url, seconds=args.seconds, args=args)
                    bare = bare or sample
                    s = series[target.label]
                    s.samples.append(sample)
                    s.cpu_ratios.append(sample.cpu_ms / bare.cpu_ms if bare.cpu_ms else float("nan"))
                    s.time_ratios.append(bare.rate / sample.rate if sample.rate else float("nan"))
            print_memory("end", server)
            soaked = soak(server, targets, url=url, args=args) if args.soak else None
        finally:
            server.stop()
    print(f"Load average at the end {load_average()}; {time.monotonic() - started:.0f} s in all.\n")
    print_table(targets, series)
    if soaked:
        print_soak(soaked)
    if args.sql:
        print_sql(targets)
    return 0


if __name__ == "__main__":
    sys.exit(main())
