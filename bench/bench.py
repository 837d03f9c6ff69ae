"""The benchmark behind ``make bench`` (started by ``bench/run.sh``, which creates and drops the
throwaway database). Everything runs on 127.0.0.1 and every load is bounded in time.

1. migrate, collectstatic, ``generate_load`` (20,000 items by default), API tokens;
2. gunicorn with the production settings (``tracker/gunicorn.conf.py``, DEBUG off, PostgreSQL,
   Redis cache, persistent connections) and a local aiosmtpd sink;
3. HTTP cases with wrk (a separate process), each at concurrency 1 and 8, after a warm-up:
   (a) the list, 100 per page, (b) the list filtered by one owner and the open statuses,
   (c) status transitions (a wrk Lua script cycling over distinct items with the right
   If-Match), (d) the status × organization report;
   beside each, the same page/writes/aggregate in raw SQL with psycopg on the same database;
   the number of queries per request is counted in-process (Django test client);
4. (e) the weekly digest fan-out through real Celery workers on Redis to the sink, with 1 and 2
   worker processes, and the sink's own acceptance rate measured with a raw smtplib blaster;
   each BENCH_ROUNDS times, medians compared, with the CPU each process spent per email;
5. with BENCH_LARGE=1, 1,000,000 items and the report case again;
6. a Markdown table on stdout and in ``bench/results/`` (timestamped file and ``latest.md``).

Environment: DATABASE_URL (required), BENCH_DURATION (30 s per case), BENCH_WARMUP (5 s),
BENCH_SQL_DURATION (10 s per raw-SQL case), BENCH_ITEMS (20000), BENCH_OWNERS (50),
BENCH_ORGANIZATIONS (20), BENCH_SEED (1), BENCH_LARGE (0), BENCH_LARGE_ITEMS (1000000),
BENCH_REDIS_DB (9: broker; the next one holds the cache; both are flushed), BENCH_WORK_DIR,
BENCH_PIDFILE (child process groups, for run.sh's clean-up), BENCH_CASES (comma-separated subset
of floor,list,filtered,transition,report,digest), BENCH_ROUNDS (3: digest and sink runs each).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import platform
import re
import runpy
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WRK_DIR = BENCH / "wrk"
RESULTS = BENCH / "results"
PYTHON = sys.executable
OPEN_STATUSES = ("proposed", "accepted", "in_progress", "blocked")
ALL_STATUSES = ("proposed", "accepted", "in_progress", "blocked", "implemented", "verified", "rejected")
TIME_ZONE = "Asia/Ho_Chi_Minh"
# The services' folding of a history comment, for the raw-SQL transition's insert; read from the
# module's file rather than imported, as this script runs without the project on its path.
history_search_text: Callable[[str], str] = runpy.run_path(str(ROOT / "recommendations" / "search.py"))[
    "history_search_text"
]


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- Child processes -----------------------------------------------------------------------------


class Children:
    """Every long-running child in its own process group, recorded in a pid file so that
    ``run.sh`` can still kill them if this script itself is killed."""

    def __init__(self, pidfile: Path) -> None:
        self.pidfile = pidfile
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(
        self, name: str, argv: Sequence[str], env: dict[str, str], logfile: Path
    ) -> subprocess.Popen[bytes]:
        with logfile.open("ab") as out:
            process = subprocess.Popen(
                list(argv), env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.running[name] = process
        self._write()
        return process

    def stop(self, name: str) -> None:
        process = self.running.pop(name, None)
        if process is None:
            return
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            except ProcessLookupError:
                pass
        # Anything the child left in its group (gunicorn or Celery pool processes).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        self._write()

    def stop_all(self) -> None:
        for name in list(self.running):
            self.stop(name)

    def _write(self) -> None:
        self.pidfile.write_text("".join(f"{p.pid}\n" for p in self.running.values()))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- Configuration -------------------------------------------------------------------------------


@dataclass
class Config:
    database_url: str
    work_dir: Path
    duration: int = 30
    warmup: int = 5
    sql_duration: int = 10
    items: int = 20_000
    owners: int = 50
    organizations: int = 20
    seed: int = 1
    large: bool = False
    large_items: int = 1_000_000
    redis_db: int = 9
    # The digest and the sink are measured this many times each, and their medians compared: one
    # run lasts two or three seconds, where a neighbour's burst on a shared machine shows.
    rounds: int = 3
    cases: frozenset[str] = frozenset({"floor", "list", "filtered", "transition", "report", "digest"})
    pidfile: Path = Path("/dev/null")
    django_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> Config:
        database_url = os.environ.get("DATABASE_URL", "")
        if not database_url.startswith(("postgres://", "postgresql://")):
            raise SystemExit("DATABASE_URL must point at the throwaway PostgreSQL database (bench/run.sh).")
        work_dir = Path(os.environ.get("BENCH_WORK_DIR") or tempfile.mkdtemp(prefix="tracker-bench-"))
        duration = env_int("BENCH_DURATION", 30)
        cases = os.environ.get("BENCH_CASES")
        config = cls(
            database_url=database_url,
            work_dir=work_dir,
            duration=duration,
            warmup=env_int("BENCH_WARMUP", min(5, duration)),
            sql_duration=env_int("BENCH_SQL_DURATION", min(10, duration)),
            items=env_int("BENCH_ITEMS", 20_000),
            owners=env_int("BENCH_OWNERS", 50),
            organizations=env_int("BENCH_ORGANIZATIONS", 20),
            seed=env_int("BENCH_SEED", 1),
            large=os.environ.get("BENCH_LARGE", "0") not in ("", "0", "false", "no"),
            large_items=env_int("BENCH_LARGE_ITEMS", 1_000_000),
            redis_db=env_int("BENCH_REDIS_DB", 9),
            rounds=max(1, env_int("BENCH_ROUNDS", 3)),
            pidfile=Path(os.environ.get("BENCH_PIDFILE") or work_dir / "children.pid"),
        )
        if cases:
            config.cases = frozenset(c.strip() for c in cases.split(",") if c.strip())
        config.django_env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tracker.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            # Plain HTTP on loopback: production sits behind a TLS proxy instead.
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": database_url,
            "REDIS_URL": f"redis://127.0.0.1:6379/{config.redis_db}",
            # Throttle counters shared by all gunicorn workers, as in a deployment…
            "CACHE_URL": f"redis://127.0.0.1:6379/{config.redis_db + 1}",
            # …but high enough not to turn the benchmark into a throttling test.
            "THROTTLE_USER": "10000000/minute",
            "THROTTLE_ANON": "10000000/minute",
            "TRACKER_VAR_DIR": str(work_dir / "var"),
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        return config


def manage(config: Config, *args: str, timeout: float = 3600) -> str:
    completed = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=config.django_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}")
    return completed.stdout


def django_script(config: Config, code: str, *args: str, timeout: float = 600) -> str:
    """Run a short Python snippet with Django set up (production settings), return its stdout."""
    prelude = "import django, sys\ndjango.setup()\n"
    completed = subprocess.run(
        [PYTHON, "-c", prelude + code, *args],
        cwd=ROOT,
        env=config.django_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"script failed:\n{completed.stdout}\n{completed.stderr}")
    return completed.stdout


# --- Measurements --------------------------------------------------------------------------------


@dataclass
class Latencies:
    """Per-operation times in seconds over a measured period."""

    samples: list[float]
    seconds: float
    errors: int = 0

    @property
    def rate(self) -> float:
        return len(self.samples) / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.samples:
            return float("nan")
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


@dataclass
class HttpResult:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    errors: int
    stderr: str = ""

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_wrk(base_url: str, script: str, args: Sequence[str], connections: int, duration: int) -> HttpResult:
    threads = min(connections, 2)
    argv = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{duration}s",
        "--timeout",
        "10s",
        "-s",
        script,
        base_url,
        "--",
        *args,
    ]
    completed = subprocess.run(
        argv,
        cwd=WRK_DIR,
        # BENCH_WRK_DEBUG makes the Lua script print the first failed responses.
        env={**os.environ, "BENCH_WRK_THREADS": str(threads), "BENCH_WRK_DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=duration + 60,
        check=False,
    )
    match = re.search(r"^BENCH_JSON (.*)$", completed.stdout, re.MULTILINE)
    if completed.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}")
    data = json.loads(match[1])
    errors = sum(data[k] for k in data if k.startswith("errors_"))
    return HttpResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        errors=errors,
        stderr=completed.stderr.strip()[:1000],
    )


def run_sql(
    dsn: str,
    operation: Callable[[psycopg.Connection[Any], int, int], None],
    *,
    duration: float,
    concurrency: int,
    autocommit: bool = True,
) -> Latencies:
    """Call ``operation(connection, thread_index, iteration)`` in a loop for ``duration`` seconds
    from ``concurrency`` threads, each on its own connection (as gunicorn's threads are)."""
    samples: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    connections = [psycopg.connect(dsn, autocommit=autocommit) for _ in range(concurrency)]
    for connection in connections:
        connection.execute("SET TIME ZONE 'UTC'")
    barrier = threading.Barrier(concurrency + 1)
    deadline = [0.0]

    def loop(index: int) -> None:
        connection = connections[index]
        barrier.wait()
        iteration = 0
        while time.perf_counter() < deadline[0]:
            started = time.perf_counter()
            try:
                operation(connection, index, iteration)
            except psycopg.Error:
                errors[index] += 1
                if not autocommit:
                    connection.rollback()
            samples[index].append(time.perf_counter() - started)
            iteration += 1

    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    deadline[0] = time.perf_counter() + duration
    started = time.perf_counter()
    barrier.wait()
    for thread in threads:
        thread.join(timeout=duration + 60)
    seconds = time.perf_counter() - started
    for connection in connections:
        connection.close()
    return Latencies([s for chunk in samples for s in chunk], seconds, sum(errors))


# --- Raw SQL: the same reads and writes as the API, by hand ---------------------------------------

TIMELINESS_SQL = f"""
    CASE
      WHEN r.status = 'rejected' THEN NULL
      WHEN r.status IN ('implemented', 'verified')
           AND (r.due_date IS NULL OR r.completed_at IS NULL
                OR (r.completed_at AT TIME ZONE '{TIME_ZONE}')::date <= r.due_date)
        THEN 'done_on_time'
      WHEN r.status IN ('implemented', 'verified') THEN 'done_late'
      WHEN r.due_date IS NULL OR r.due_date >= %(today)s THEN 'in_time'
      ELSE 'overdue'
    END"""

LIST_SQL = f"""
SELECT r.id, r.code, r.title, r.title_en, r.status, {TIMELINESS_SQL} AS timeliness, r.priority,
       r.progress, r.due_date, r.completed_at, oo.code, oo.name, u.id, u.first_name, u.last_name,
       u.username, u.email, s.key, s.title, po.code, po.name, r.version, r.last_activity_at
  FROM recommendations_recommendation r
  JOIN recommendations_organization oo ON oo.id = r.owner_organization_id
  LEFT JOIN recommendations_user u ON u.id = r.owner_id
  JOIN recommendations_sourcedocument s ON s.id = r.source_document_id
  LEFT JOIN recommendations_organization po ON po.id = r.proposer_organization_id
 WHERE {{where}}
 ORDER BY r.code
 LIMIT %(limit)s OFFSET %(offset)s"""
COUNT_SQL = "SELECT COUNT(*) FROM recommendations_recommendation r WHERE {where}"
THEMES_SQL = """
SELECT rt.recommendation_id, t.slug
  FROM recommendations_recommendation_themes rt
  JOIN recommendations_theme t ON t.id = rt.theme_id
 WHERE rt.recommendation_id = ANY(%s)"""

# What the report runs (selectors.report_status_by_organization): counts grouped by ids on the
# recommendation table alone (an index-only scan of rec_org_status_idx), then the names of the
# organizations found; the pivot to one row per organization is Python's.
REPORT_SQL = (
    "SELECT owner_organization_id, status, COUNT(*) FROM recommendations_recommendation GROUP BY 1, 2"
)
REPORT_NAMES_SQL = "SELECT id, code, name FROM recommendations_organization WHERE id = ANY(%s) ORDER BY code"
# The report's first form, for comparison: names joined first and carried through the aggregate.
REPORT_SQL_JOIN_FIRST = (
    "SELECT o.code, o.name, "
    + ", ".join(f"COUNT(r.id) FILTER (WHERE r.status = '{s}')" for s in ALL_STATUSES)
    + ", COUNT(r.id) FROM recommendations_recommendation r"
    " JOIN recommendations_organization o ON o.id = r.owner_organization_id"
    " GROUP BY o.code, o.name ORDER BY o.code"
)


def floor_queries(connection: psycopg.Connection[Any], token: str) -> None:
    # The app's two queries (``selectors.token_user``, then the list).
    connection.execute(
        "SELECT u.*, t.created, g.name FROM authtoken_token t"
        " JOIN recommendations_user u ON u.id = t.user_id"
        " LEFT JOIN recommendations_user_groups ug ON ug.user_id = u.id"
        " LEFT JOIN auth_group g ON g.id = ug.group_id WHERE t.key = %s",
        [token],
    ).fetchall()
    connection.execute("SELECT * FROM recommendations_sourcedocument ORDER BY key").fetchall()


def report_rows(connection: psycopg.Connection[Any]) -> None:
    groups = connection.execute(REPORT_SQL).fetchall()
    connection.execute(REPORT_NAMES_SQL, [sorted({row[0] for row in groups})]).fetchall()


def list_page(connection: psycopg.Connection[Any], where: str, params: dict[str, Any], page: int) -> int:
    """One page as the API builds it: the count, the page with its joins, the themes of its rows."""
    params = {**params, "today": datetime.date.today(), "limit": 100, "offset": (page - 1) * 100}
    with connection.cursor() as cursor:
        cursor.execute(COUNT_SQL.format(where=where), params)  # type: ignore[arg-type]
        row = cursor.fetchone()
        count = int(row[0]) if row else 0
        cursor.execute(LIST_SQL.format(where=where), params)  # type: ignore[arg-type]
        rows = cursor.fetchall()
        cursor.execute(THEMES_SQL, [[r[0] for r in rows]])
        cursor.fetchall()
    return count


def transition_writes(
    connection: psycopg.Connection[Any], code: str, to_status: str, actor_id: int, comment: str
) -> None:
    """The writes of one transition, as the service makes them, in one transaction."""
    with connection.transaction(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, status, version FROM recommendations_recommendation WHERE code = %s FOR UPDATE",
            [code],
        )
        row = cursor.fetchone()
        assert row is not None
        pk, from_status, version = row
        cursor.execute(
            "UPDATE recommendations_recommendation SET status = %s, version = %s, last_activity_at = now()"
            " WHERE id = %s",
            [to_status, version + 1, pk],
        )
        cursor.execute(
            "INSERT INTO recommendations_historyentry (recommendation_id, kind, from_status, to_status,"
            " changes, actor_id, comment, search_text, created_at)"
            " VALUES (%s, 'status', %s, %s, '{}', %s, %s, %s, now())",
            [pk, from_status, to_status, actor_id, comment, history_search_text(comment)],
        )


# --- CPU per process ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessCpu:
    """One process's CPU time so far, in clock ticks (from ``/proc/<pid>/stat``)."""

    label: str
    parent: int
    ticks: int  # its own, user and system
    reaped_ticks: int  # of the children it has waited for (cutime and cstime)


def cpu_snapshot(label: Callable[[int, int, str], str]) -> dict[int, ProcessCpu]:
    """Every process's CPU time so far, labelled by ``label(pid, process group, command name)``."""
    out: dict[int, ProcessCpu] = {}
    for stat_path in Path("/proc").glob("[0-9]*/stat"):
        try:
            stat = stat_path.read_text()
        except OSError:
            continue  # ended while we looked
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        pid = int(stat_path.parent.name)
        out[pid] = ProcessCpu(
            label=label(pid, int(fields[2]), comm),
            parent=int(fields[1]),
            ticks=int(fields[11]) + int(fields[12]),
            reaped_ticks=int(fields[13]) + int(fields[14]),
        )
    return out


def cpu_per_label(before: dict[int, ProcessCpu], after: dict[int, ProcessCpu]) -> dict[str, float]:
    """CPU seconds spent between two snapshots, per label.

    Processes that ended in between (PostgreSQL's short sessions, the script that enqueues the
    fan-out) count through the parent that waited for them: the kernel adds a child's whole time
    to its parent's reaped time, under the parent's label. For a process that was already
    running at the first snapshot, the part it had spent by then is taken back from its parent.
    """
    ticks_per_second = os.sysconf("SC_CLK_TCK")
    spent: dict[str, float] = {}
    for pid, now in after.items():
        then = before.get(pid)
        done_before = then.ticks + then.reaped_ticks if then is not None else 0
        spent[now.label] = spent.get(now.label, 0.0) + (now.ticks + now.reaped_ticks - done_before)
    for pid, then in before.items():
        parent = after.get(then.parent)
        if pid not in after and parent is not None:
            spent[parent.label] -= then.ticks + then.reaped_ticks
    return {label: ticks / ticks_per_second for label, ticks in spent.items()}


# --- The run -------------------------------------------------------------------------------------


@dataclass
class Row:
    case: str
    concurrency: int
    http: HttpResult | None = None
    sql: Latencies | None = None
    sql_label: str = ""
    note: str = ""


@dataclass
class Report:
    header: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    query_counts: dict[str, Any] = field(default_factory=dict)
    digest: list[dict[str, Any]] = field(default_factory=list)
    sink: dict[str, Any] = field(default_factory=dict)
    targets: list[tuple[str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Bench:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.children = Children(config.pidfile)
        self.report = Report()
        self.logs = config.work_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.base_url = ""
        self.tokens: dict[str, str] = {}
        self.ids: dict[str, Any] = {}
        self.sink_port = free_port()
        self.sink_stats = config.work_dir / "sink.json"
        self.config.django_env["EMAIL_URL"] = f"smtp://127.0.0.1:{self.sink_port}"
        self.dsn = config.database_url

    # -- set-up --

    def prepare(self) -> None:
        config = self.config
        log(f"work dir {config.work_dir}; redis db {config.redis_db}/{config.redis_db + 1}")
        self.flush_redis()
        manage(config, "migrate", "--noinput")
        manage(config, "collectstatic", "--noinput", "-v", "0")
        deploy_env = {k: v for k, v in config.django_env.items() if k != "SECURE_SSL_REDIRECT"}
        # Links in emails go to the public address in production; loopback is only for the run.
        deploy_env["SITE_URL"] = "https://tracker.example.org"
        check = subprocess.run(
            [PYTHON, "manage.py", "check", "--deploy"],
            cwd=ROOT,
            env=deploy_env,
            capture_output=True,
            text=True,
            check=False,
        )
        self.report.notes.append(
            "`manage.py check --deploy` with these settings (SSL redirect on, as in production): "
            + ((check.stdout + check.stderr).strip().splitlines() or ["?"])[-1]
        )
        self.generate(config.items, replace=False)

    def generate(self, items: int, *, replace: bool) -> None:
        config = self.config
        log(f"generate_load --items {items}")
        started = time.perf_counter()
        args = [
            "generate_load",
            "--items",
            str(items),
            "--owners",
            str(config.owners),
            "--organizations",
            str(config.organizations),
            "--seed",
            str(config.seed),
            "--batch-size",
            "20000",
        ]
        output = manage(config, *args, *(["--replace"] if replace else []), timeout=3600)
        seconds = time.perf_counter() - started
        (self.logs / f"generate_load_{items}.log").write_text(output)
        self.report.header.append(f"generate_load --items {items}: {seconds:.1f} s (COPY, one transaction)")
        with psycopg.connect(self.dsn) as connection:
            rows = connection.execute(
                "SELECT (SELECT COUNT(*) FROM recommendations_recommendation),"
                " (SELECT COUNT(*) FROM recommendations_historyentry),"
                " (SELECT COUNT(*) FROM recommendations_evidence)"
            ).fetchone()
            assert rows is not None
            self.ids["admin"] = connection.execute(
                "SELECT id FROM recommendations_user WHERE username = 'load-admin'"
            ).fetchone()[0]  # type: ignore[index]
            self.ids["owner"] = connection.execute(
                "SELECT id FROM recommendations_user WHERE username = 'load-owner-0001'"
            ).fetchone()[0]  # type: ignore[index]
        self.report.header.append(
            f"database: {rows[0]:,} recommendations, {rows[1]:,} history rows, {rows[2]:,} evidence rows"
        )
        for name in ("load-reader", "load-admin"):
            out = manage(config, "drf_create_token", name)
            match = re.search(r"token (\w+)", out)
            if match is None:
                raise RuntimeError(f"no token in: {out}")
            self.tokens[name] = match[1]

    def flush_redis(self) -> None:
        for db in (self.config.redis_db, self.config.redis_db + 1):
            subprocess.run(["redis-cli", "-n", str(db), "FLUSHDB"], capture_output=True, check=False)

    def start_server(self) -> None:
        port = free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        conf = runpy.run_path(str(ROOT / "tracker" / "gunicorn.conf.py"))
        self.report.header.append(
            f"gunicorn: {conf['workers']} workers × {conf['threads']} threads ({conf['worker_class']}),"
            " DEBUG off, whitenoise, CONN_MAX_AGE 60, Redis cache"
        )
        env = {**self.config.django_env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_LOGLEVEL": "warning"}
        self.children.start(
            "gunicorn",
            [str(Path(PYTHON).parent / "gunicorn"), "-c", "tracker/gunicorn.conf.py", "tracker.wsgi"],
            env,
            self.logs / "gunicorn.log",
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                status = self.http_get("/api/v1/recommendations/?page_size=1", "load-reader")
                if status == 200:
                    break
                raise RuntimeError(f"the list answered {status}")
            except (urllib.error.URLError, ConnectionError) as error:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start: {error}") from error
                time.sleep(0.3)
        log(f"gunicorn on {self.base_url}")

    def http_get(self, path: str, user: str) -> int:
        request = urllib.request.Request(  # noqa: S310 - our own loopback server
            self.base_url + path, headers={"Authorization": f"Token {self.tokens[user]}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    def start_sink(self) -> None:
        self.children.start(
            "sink",
            [PYTHON, str(BENCH / "smtp_sink.py"), str(self.sink_port), str(self.sink_stats)],
            dict(os.environ),
            self.logs / "sink.log",
        )
        deadline = time.monotonic() + 20
        while not self.sink_stats.exists():
            if time.monotonic() > deadline:
                raise RuntimeError("the SMTP sink did not start")
            time.sleep(0.1)

    def sink_count(self) -> dict[str, Any]:
        for _attempt in range(10):
            try:
                return dict(json.loads(self.sink_stats.read_text()))
            except (json.JSONDecodeError, FileNotFoundError):
                time.sleep(0.05)
        raise RuntimeError("cannot read the sink's counters")

    # -- HTTP cases --

    def http_case(
        self,
        case: str,
        script: str,
        args_for: Callable[[], list[str]],
        sql_label: str,
        sql: Callable[[int], Latencies] | None,
    ) -> None:
        config = self.config
        for connections in (1, 8):
            log(f"{case}: warm-up {config.warmup} s, c={connections}")
            run_wrk(self.base_url, script, args_for(), connections, config.warmup)
            log(f"{case}: {config.duration} s, c={connections}")
            http = run_wrk(self.base_url, script, args_for(), connections, config.duration)
            raw = sql(connections) if sql is not None else None
            self.report.rows.append(Row(case, connections, http, raw, sql_label))
            if http.errors:
                log(f"{case} c={connections}: {http.errors} errors, first ones:\n{http.stderr}")
            log(
                f"{case} c={connections}: {http.rate:.0f} req/s, p50 {http.p50_ms:.1f} ms"
                + (f", raw SQL p50 {raw.percentile(50) * 1000:.2f} ms" if raw else "")
            )

    def paths_file(self, name: str, paths: Sequence[str]) -> str:
        path = self.config.work_dir / f"{name}.paths"
        path.write_text("\n".join(paths) + "\n")
        return str(path)

    def case_list(self, *, every_page: bool) -> None:
        pages = max(1, self.config.items // 100)
        # Either the first page only (what people open most), or the same pseudo-random walk over
        # every page in HTTP and in SQL (deep pages cost the database more: OFFSET).
        order = [(n * 7919) % pages + 1 for n in range(pages)] if every_page else [1]
        name = "list-all" if every_page else "list-first"
        paths = self.paths_file(name, [f"/api/v1/recommendations/?page={p}&page_size=100" for p in order])

        def sql(connections: int) -> Latencies:
            return run_sql(
                self.dsn,
                lambda c, t, i: list_page(c, "TRUE", {}, order[(t * 7919 + i) % len(order)]),
                duration=self.config.sql_duration,
                concurrency=connections,
            )

        self.http_case(
            f"(a) list, 100/page, {'every page in turn' if every_page else 'first page'}",
            "get.lua",
            lambda: [self.tokens["load-reader"], paths],
            "count + page + themes",
            sql,
        )

    def case_filtered(self) -> None:
        owner = self.ids["owner"]
        query = f"owner={owner}&" + "&".join(f"status={s}" for s in OPEN_STATUSES)
        paths = self.paths_file("filtered", [f"/api/v1/recommendations/?{query}&page=1&page_size=100"])
        where = "r.owner_id = %(owner)s AND r.status = ANY(%(statuses)s)"

        def sql(connections: int) -> Latencies:
            return run_sql(
                self.dsn,
                lambda c, t, i: list_page(c, where, {"owner": owner, "statuses": list(OPEN_STATUSES)}, 1),
                duration=self.config.sql_duration,
                concurrency=connections,
            )

        self.http_case(
            "(b) list, one owner + open statuses",
            "get.lua",
            lambda: [self.tokens["load-reader"], paths],
            "count + page + themes",
            sql,
        )

    def transition_items(self, part: int) -> list[tuple[str, str, int]]:
        """Items that cycle in_progress <-> blocked; part 0 for HTTP, part 1 for raw SQL."""
        with psycopg.connect(self.dsn) as connection:
            rows = connection.execute(
                "SELECT code, status, version FROM recommendations_recommendation"
                " WHERE code LIKE 'LOAD-%%' AND status IN ('in_progress', 'blocked') ORDER BY code"
            ).fetchall()
        half = len(rows) // 2
        return [(r[0], r[1], int(r[2])) for r in (rows[:half] if part == 0 else rows[half:])]

    def case_floor(self) -> None:
        """What any authenticated API request costs here, whatever it does: the five source
        documents, beside the same two queries in raw SQL (the token with its user and groups, then
        the sources). The other cases' ratios read against this one."""
        paths = self.paths_file("floor", ["/api/v1/sources/"])

        def sql(connections: int) -> Latencies:
            return run_sql(
                self.dsn,
                lambda c, t, i: floor_queries(c, self.tokens["load-reader"]),
                duration=self.config.sql_duration,
                concurrency=connections,
            )

        self.http_case(
            "(0) floor: any authenticated request (the 5 sources)",
            "get.lua",
            lambda: [self.tokens["load-reader"], paths],
            "token with user and groups + sources",
            sql,
        )

    def case_transition(self) -> None:
        items_file = self.config.work_dir / "transition.items"

        def args() -> list[str]:
            # Fresh versions before every wrk run: the previous run moved the items on. wrk stops
            # without waiting for its requests in flight; let the server finish them first, or
            # their items would be read at a version they are about to leave (409s).
            time.sleep(3)
            items_file.write_text("".join(f"{c} {s} {v}\n" for c, s, v in self.transition_items(0)))
            return [self.tokens["load-admin"], str(items_file)]

        actor = self.ids["admin"]

        def sql(connections: int) -> Latencies:
            items = self.transition_items(1)
            state = {code: status for code, status, _v in items}
            shares = [items[t::connections] for t in range(connections)]

            def write(connection: psycopg.Connection[Any], thread: int, iteration: int) -> None:
                code = shares[thread][iteration % len(shares[thread])][0]
                to_status = "blocked" if state[code] == "in_progress" else "in_progress"
                comment = "Chờ ý kiến thống nhất (benchmark)." if to_status == "blocked" else ""
                transition_writes(connection, code, to_status, actor, comment)
                state[code] = to_status

            return run_sql(
                self.dsn, write, duration=self.config.sql_duration, concurrency=connections, autocommit=True
            )

        self.http_case(
            "(c) transition (If-Match, history row)",
            "transition.lua",
            args,
            "lock + update + history insert",
            sql,
        )

    def case_report(self, label: str = "(d) report status × organization") -> None:
        paths = self.paths_file("report", ["/api/v1/reports/status-by-organization/"])

        def sql(connections: int) -> Latencies:
            return run_sql(
                self.dsn,
                lambda c, t, i: report_rows(c),
                duration=self.config.sql_duration,
                concurrency=connections,
            )

        self.http_case(
            label, "get.lua", lambda: [self.tokens["load-reader"], paths], "GROUP BY ids + names", sql
        )
        former = run_sql(
            self.dsn,
            lambda c, t, i: c.execute(REPORT_SQL_JOIN_FIRST).fetchall() and None,
            duration=self.config.sql_duration,
            concurrency=1,
        )
        self.report.rows.append(
            Row(
                label + " — for comparison: names joined before the aggregate",
                1,
                None,
                former,
                "the report's first query",
                note="raw SQL only",
            )
        )

    # -- query counts --

    def count_queries(self) -> None:
        code = r"""
import json
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from recommendations.models import Recommendation

reader, admin, owner, code = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
client = Client(HTTP_HOST="127.0.0.1")
open_q = "&".join(f"status={s}" for s in ("proposed", "accepted", "in_progress", "blocked"))
cases = {
    "list page_size=10": "/api/v1/recommendations/?page=3&page_size=10",
    "list page_size=100": "/api/v1/recommendations/?page=3&page_size=100",
    "filtered page_size=10": f"/api/v1/recommendations/?owner={owner}&{open_q}&page_size=10",
    "filtered page_size=100": f"/api/v1/recommendations/?owner={owner}&{open_q}&page_size=100",
    "report": "/api/v1/reports/status-by-organization/",
}
out = {}
for name, path in cases.items():
    client.get(path, HTTP_AUTHORIZATION=f"Token {reader}")  # warm caches, as a running server has
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, HTTP_AUTHORIZATION=f"Token {reader}")
    out[name] = {"status": response.status_code, "queries": len(queries)}
with transaction.atomic():
    version = Recommendation.objects.get(code=code).version
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            f"/api/v1/recommendations/{code}/transition/",
            data=json.dumps({"to_status": "blocked", "comment": "benchmark"}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {admin}",
            HTTP_IF_MATCH=f'"{version}"',
        )
    out["transition"] = {"status": response.status_code, "queries": len(queries)}
    transaction.set_rollback(True)
print(json.dumps(out))
"""
        code_item = self.transition_items(1)[0][0]
        try:
            output = django_script(
                self.config,
                code,
                self.tokens["load-reader"],
                self.tokens["load-admin"],
                str(self.ids["owner"]),
                code_item,
            )
            self.report.query_counts = json.loads(output.strip().splitlines()[-1])
        except (RuntimeError, ValueError, IndexError) as error:
            self.report.notes.append(f"query counts unavailable: {str(error)[:300]}")

    # -- (e) digest --

    def worker_rss(self, pid: int) -> dict[str, int]:
        """Peak resident memory (VmHWM, KiB) of a Celery worker's main and pool processes."""
        result: dict[str, int] = {}
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                text = status.read_text()
                stat = (status.parent / "stat").read_text()
            except OSError:
                continue
            pgid = int(stat.rsplit(")", 1)[1].split()[3])
            if pgid != pid:
                continue
            match = re.search(r"VmHWM:\s+(\d+) kB", text)
            if match:
                result[status.parent.name] = int(match[1])
        return result

    def cpu_snapshot(self, worker_pid: int) -> dict[int, ProcessCpu]:
        """Every process's CPU time so far, labelled by what it is in the digest: the Celery
        worker's main process or its pool, the sink, PostgreSQL, Redis, or other."""
        sink = self.children.running.get("sink")

        def label(pid: int, pgid: int, comm: str) -> str:
            if pgid == worker_pid:
                return "Celery main" if pid == worker_pid else "Celery pool"
            if sink is not None and pgid == sink.pid:
                return "sink"
            if comm.startswith("postgres"):
                return "PostgreSQL"
            if comm.startswith("redis"):
                return "Redis"
            return "other"

        return cpu_snapshot(label)

    def case_digest(self) -> None:
        config = self.config
        self.start_sink()
        periods = iter(self.digest_periods())
        for workers in (1, 2):
            name = f"celery{workers}"
            process = self.children.start(
                name,
                [
                    str(Path(PYTHON).parent / "celery"),
                    "-A",
                    "tracker",
                    "worker",
                    "--pool=prefork",
                    f"--concurrency={workers}",
                    "--loglevel=INFO",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    f"--hostname=bench{workers}@%h",
                ],
                config.django_env,
                self.logs / f"{name}.log",
            )
            deadline = time.monotonic() + 60
            while "ready." not in (self.logs / f"{name}.log").read_text():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"celery worker did not start: see {self.logs / (name + '.log')}")
                time.sleep(0.2)
            # Warm-up: one email per pool process in a period of its own.
            self.run_fanout(next(periods), limit=workers * 2)
            rounds = []
            for _round in range(config.rounds):
                self.forget_deliveries()
                cpu_before = self.cpu_snapshot(process.pid)
                one = self.run_fanout(next(periods))
                one["cpu_seconds"] = cpu_per_label(cpu_before, self.cpu_snapshot(process.pid))
                rounds.append(one)
                log(f"digest with {workers} worker(s), round {_round + 1}: {one['per_second']:.1f}/s")
            result = median_by(rounds, "per_second")
            result["rounds"] = [one["per_second"] for one in rounds]
            rss = self.worker_rss(process.pid)
            result["workers"] = workers
            result["peak_rss_mib"] = max(rss.values()) / 1024 if rss else float("nan")
            result["peak_rss_detail"] = rss
            self.report.digest.append(result)
            log(
                f"digest with {workers} worker(s): {result['emails']} emails in {result['seconds']:.2f} s"
                f" = {result['per_second']:.1f}/s, peak RSS {result['peak_rss_mib']:.0f} MiB"
            )
            self.children.stop(name)
        self.measure_sink()

    def forget_deliveries(self) -> None:
        """Every round starts from no deliveries at all. Otherwise each round's escalations would
        be longer than the last: an item is escalated once its owner has had enough digests since
        its last update, and every earlier round's digests count."""
        with psycopg.connect(self.dsn, autocommit=True) as connection:
            connection.execute("DELETE FROM recommendations_reminderdelivery")

    def digest_periods(self) -> list[str]:
        monday = datetime.date.today() - datetime.timedelta(days=datetime.date.today().weekday())
        weeks = [monday + datetime.timedelta(weeks=n) for n in range(2 * (self.config.rounds + 1))]
        return [f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}" for d in weeks]

    def run_fanout(self, period: str, limit: int | None = None) -> dict[str, Any]:
        """Enqueue the week's fan-out task (or ``limit`` single digests), wait until every email is
        recorded as sent, and time it: from just before enqueueing to the last ``sent_at``."""
        code = r"""
import json, time
from recommendations import notifications, tasks
period, limit = sys.argv[1], int(sys.argv[2])
digest_ids = notifications.recipient_ids("digest")
escalation_ids = notifications.recipient_ids("escalation")
expected = {"digest": 0, "escalation": 0}
for kind, ids in (("digest", digest_ids), ("escalation", escalation_ids)):
    for rid in ids[: limit or None]:
        result = notifications.deliver(kind=kind, recipient_id=rid, period=period, dry_run=True)
        expected[kind] += result.outcome == "would_send"
started = time.time()
if limit:
    for rid in digest_ids[:limit]:
        tasks.send_reminder.delay("digest", rid, period)
    expected["escalation"] = 0
else:
    tasks.send_weekly_reminders.delay(period)
print(json.dumps({"started": started, "expected": expected}))
"""
        before = self.sink_count()
        output = django_script(self.config, code, period, str(limit or 0))
        data = json.loads(output.strip().splitlines()[-1])
        expected = sum(data["expected"].values())
        deadline = time.monotonic() + 1800
        with psycopg.connect(self.dsn, autocommit=True) as connection:
            while True:
                row = connection.execute(
                    "SELECT COUNT(*) FILTER (WHERE state = 'sent'), COUNT(*) FILTER (WHERE state = 'failed'),"
                    " EXTRACT(EPOCH FROM MAX(sent_at))"
                    " FROM recommendations_reminderdelivery WHERE period = %s",
                    [period],
                ).fetchone()
                assert row is not None
                sent, failed, last = int(row[0]), int(row[1]), row[2]
                if sent >= expected:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"digest {period}: {sent}/{expected} sent, {failed} failed after 30 min"
                    )
                time.sleep(0.05)
        after = self.sink_count()
        seconds = float(last) - data["started"]
        received = after["messages"] - before["messages"]
        size = (after["bytes"] - before["bytes"]) / received if received else 0
        return {
            "period": period,
            "emails": sent,
            "digests": data["expected"]["digest"],
            "escalations": data["expected"]["escalation"],
            "failed": failed,
            "received": received,
            "seconds": seconds,
            "per_second": sent / seconds if seconds > 0 else float("nan"),
            "mean_bytes": size,
        }

    def measure_sink(self) -> None:
        """The sink's own acceptance rate, with raw smtplib, messages the size of the digests."""
        size = int(statistics.mean(r["mean_bytes"] for r in self.report.digest)) or 20_000
        count = max(200, 4 * max(r["emails"] for r in self.report.digest))
        best: dict[str, Any] = {}
        for connections in (1, 2):
            for reconnect in (False, True):
                argv = [PYTHON, str(BENCH / "smtp_blast.py"), str(self.sink_port), str(count)]
                argv += [str(connections), str(size)] + (["--reconnect"] if reconnect else [])
                session = "new session per message" if reconnect else "one session"
                mode = f"{connections} connection(s), {session}"
                rates = []
                for _round in range(self.config.rounds):
                    completed = subprocess.run(argv, capture_output=True, text=True, timeout=900, check=True)
                    rates.append(float(json.loads(completed.stdout.strip().splitlines()[-1])["per_second"]))
                rate = statistics.median(rates)
                self.report.sink[mode] = {"per_second": rate, "rounds": rates}
                log(f"sink: {mode}: {rate:.1f} messages/s (median of {', '.join(f'{r:.1f}' for r in rates)})")
                # The best mode by its median: the most the sink was seen to accept, steadily.
                if not best or rate > best["per_second"]:
                    best = {"mode": mode, "per_second": rate}
        self.report.sink["best"] = best
        self.report.sink["size"] = size
        self.report.sink["count"] = count

    # -- the whole run --

    def run(self) -> Report:
        config = self.config
        self.report.header += machine_description(self.dsn)
        self.report.header.append(
            f"load average at start: {os.getloadavg()[0]:.2f} (2 cores: above ~0.5 means noise)"
        )
        self.prepare()
        self.start_server()
        self.count_queries()
        if "floor" in config.cases:
            self.case_floor()
        if "list" in config.cases:
            self.case_list(every_page=False)
            self.case_list(every_page=True)
        if "filtered" in config.cases:
            self.case_filtered()
        if "report" in config.cases:
            self.case_report()
        if "transition" in config.cases:
            self.case_transition()
        if "digest" in config.cases:
            self.case_digest()
        if config.large:
            self.generate(config.large_items, replace=True)
            self.case_report(f"(d) report at {config.large_items:,} items")
        self.report.header.append(f"load average at end: {os.getloadavg()[0]:.2f}")
        return self.report

    def close(self) -> None:
        self.children.stop_all()
        self.flush_redis()


def machine_description(dsn: str) -> list[str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except (OSError, StopIteration):
        memory = 0
    with psycopg.connect(dsn) as connection:
        row = connection.execute("SHOW server_version").fetchone()
        jit = connection.execute("SHOW jit").fetchone()
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False).stdout.split(
        "\n"
    )[0]
    return [
        f"machine: {os.cpu_count()} cores ({cpu}), {memory / 1024 / 1024:.0f} GiB RAM, {platform.platform()}",
        f"PostgreSQL {row[0] if row else '?'} (server default jit={jit[0] if jit else '?'}), Redis,"
        f" all on 127.0.0.1; Python {platform.python_version()}; {wrk_version.strip()}",
        "load generator, server, database and workers share the same 2 cores",
    ]


# --- Output --------------------------------------------------------------------------------------


def median_by(runs: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """The run whose ``key`` is the median (the lower middle one of an even number)."""
    ordered = sorted(runs, key=lambda run: float(run[key]))
    return dict(ordered[(len(ordered) - 1) // 2])


def fmt(value: float, digits: int = 1) -> str:
    return "—" if value != value else f"{value:.{digits}f}"


def render(report: Report, config: Config) -> str:
    lines = [
        f"# Benchmark results — {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        "",
        *(f"- {line}" for line in report.header),
        f"- each HTTP case: {config.warmup} s warm-up, then {config.duration} s with wrk at concurrency"
        f" 1 and 8; raw SQL {config.sql_duration} s with psycopg (1 or 8 threads, one connection each)",
        "",
        "## HTTP cases beside raw SQL",
        "",
        "| case | c | req/s | p50 ms | p95 ms | errors | raw SQL | raw p50 ms | raw p95 ms | raw ops/s"
        " | p50 ratio |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for row in report.rows:
        http, sql = row.http, row.sql
        sql_p50 = sql.percentile(50) * 1000 if sql else float("nan")
        ratio = http.p50_ms / sql_p50 if http and sql and sql_p50 > 0 else float("nan")
        lines.append(
            "| "
            + " | ".join(
                [
                    row.case,
                    str(row.concurrency),
                    fmt(http.rate, 0) if http else "—",
                    fmt(http.p50_ms, 2) if http else "—",
                    fmt(http.p95_ms, 2) if http else "—",
                    str(http.errors) if http else "—",
                    row.sql_label,
                    fmt(sql_p50, 2),
                    fmt(sql.percentile(95) * 1000, 2) if sql else "—",
                    fmt(sql.rate, 0) if sql else "—",
                    f"{fmt(ratio, 1)}×" if ratio == ratio else "—",
                ]
            )
            + " |"
        )
    if report.query_counts:
        lines += [
            "",
            "## Queries per request (counted in-process)",
            "",
            "| request | status | queries |",
            "|---|---:|---:|",
        ]
        for name, data in report.query_counts.items():
            lines.append(f"| {name} | {data['status']} | {data['queries']} |")
    if report.digest:
        best = report.sink.get("best", {})
        lines += [
            "",
            "## (e) Weekly reminders through Celery on Redis to the aiosmtpd sink",
            "",
            "Each row is the median of its rounds (emails/s of every round beside it); the sink's rate is"
            " the median of its best mode (below).",
            "",
            "| worker processes | emails (digests + escalations) | total s | emails/s | emails/s each round "
            "| mean size KiB | sink max msgs/s | emails/s ÷ sink | peak RSS of a worker MiB |",
            "|---:|---|---:|---:|---|---:|---:|---:|---:|",
        ]
        for result in report.digest:
            share = result["per_second"] / best["per_second"] if best else float("nan")
            rounds = ", ".join(fmt(rate, 1) for rate in result.get("rounds", []))
            lines.append(
                f"| {result['workers']} | {result['emails']} ({result['digests']} + {result['escalations']}) "
                f"| {fmt(result['seconds'], 2)} | {fmt(result['per_second'], 1)} | {rounds} "
                f"| {fmt(result['mean_bytes'] / 1024, 1)} | {fmt(best.get('per_second', float('nan')), 1)} "
                f"| {fmt(share, 2)} | {fmt(result['peak_rss_mib'], 0)} |"
            )
        labels = ("Celery pool", "Celery main", "sink", "PostgreSQL", "Redis", "other")
        lines += [
            "",
            "CPU per email, by process, while the emails of the median round went out (ms; from /proc,"
            " 10 ms ticks):",
            "",
            "| worker processes | " + " | ".join(labels) + " | all |",
            "|---:|" + "---:|" * (len(labels) + 1),
        ]
        for result in report.digest:
            cpu = result.get("cpu_seconds", {})
            per_email = [cpu.get(label, 0.0) * 1000 / max(result["emails"], 1) for label in labels]
            lines.append(
                f"| {result['workers']} | "
                + " | ".join(fmt(v, 1) for v in per_email)
                + f" | {fmt(sum(per_email), 1)} |"
            )
        lines += [
            "",
            f"Sink acceptance (raw smtplib, {report.sink.get('count')} messages"
            f" of {report.sink.get('size')} bytes):",
            "",
        ]
        for mode, data in report.sink.items():
            if mode not in ("best", "size", "count"):
                rounds = ", ".join(f"{rate:.1f}" for rate in data["rounds"])
                lines.append(f"- {mode}: {data['per_second']:.1f} messages/s (median of {rounds})")
    lines += ["", "## Targets", "", "| target | measured | met |", "|---|---|---|"]
    for target, measured, met in evaluate(report):
        lines.append(f"| {target} | {measured} | {met} |")
    if report.notes:
        lines += ["", "## Notes", "", *(f"- {note}" for note in report.notes)]
    return "\n".join(lines) + "\n"


def evaluate(report: Report) -> list[tuple[str, str, str]]:
    out = []

    for prefix, label in (
        ("(a)", "list p50 at c=1 ≤ 5× raw SQL"),
        ("(b)", "filtered list p50 at c=1 ≤ 5× raw SQL"),
        ("(c)", "transition p50 at c=1 ≤ 5× raw SQL writes"),
    ):
        for row in report.rows:
            if row.case.startswith(prefix) and row.concurrency == 1 and row.http and row.sql:
                ratio = row.http.p50_ms / (row.sql.percentile(50) * 1000)
                where = row.case.split(", ")[-1] if prefix == "(a)" else ""
                text = f"{label} ({where})" if where else label
                out.append((text, f"{ratio:.1f}×", "yes" if ratio <= 5 else "**no**"))
    large = next(
        (
            r
            for r in report.rows
            if "items" in r.case and r.case.startswith("(d)") and r.concurrency == 1 and r.http
        ),
        None,
    )
    if large and large.http:
        out.append(
            (
                "report at 1,000,000 items p50 < 200 ms (c=1)",
                f"{large.http.p50_ms:.0f} ms",
                "yes" if large.http.p50_ms < 200 else "**no**",
            )
        )
    else:
        out.append(("report at 1,000,000 items p50 < 200 ms", "not run (BENCH_LARGE=1)", "—"))
    if report.digest and report.sink.get("best"):
        best = report.sink["best"]["per_second"]
        two = next((r for r in report.digest if r["workers"] == 2), None)
        one = next((r for r in report.digest if r["workers"] == 1), None)
        if two:
            out.append(
                (
                    "digest ≥ ½ the sink's acceptance rate (2 workers)",
                    f"{two['per_second']:.1f}/s vs {best:.1f}/s",
                    "yes" if two["per_second"] >= best / 2 else "**no**",
                )
            )
        if one and two:
            out.append(
                (
                    "digest: 2 workers faster than 1",
                    f"{two['seconds']:.2f} s vs {one['seconds']:.2f} s",
                    "yes" if two["seconds"] < one["seconds"] else "**no**",
                )
            )
    counts = report.query_counts
    for prefix in ("list", "filtered"):
        small, big = counts.get(f"{prefix} page_size=10"), counts.get(f"{prefix} page_size=100")
        if small and big:
            out.append(
                (
                    f"{prefix}: queries constant in the page size",
                    f"{small['queries']} (10/page) vs {big['queries']} (100/page)",
                    "yes" if small["queries"] == big["queries"] else "**no**",
                )
            )
    return out


def main() -> int:
    config = Config.from_env()
    bench = Bench(config)
    stop = {"signal": None}

    def interrupted(signum: int, _frame: Any) -> None:
        stop["signal"] = signum
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    try:
        report = bench.run()
    except KeyboardInterrupt:
        log("interrupted: cleaning up")
        return 130
    finally:
        bench.close()
    text = render(report, config)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"{stamp}.md").write_text(text)
    (RESULTS / "latest.md").write_text(text)
    log(f"saved bench/results/{stamp}.md and latest.md; logs in {bench.logs}")
    if os.environ.get("BENCH_KEEP_WORK_DIR") is None and not os.environ.get("BENCH_WORK_DIR"):
        shutil.rmtree(config.work_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
