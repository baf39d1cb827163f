"""Start a real single-node Apache Kafka broker (KRaft) from Maven Central jars.

Why this exists: the team's machines and CI have no Docker engine, yet tests
and ``make run`` need a real broker, never a mock (DESIGN.md, "Kafka, for
real"). Kafka is a plain JVM program, so we resolve its jars once with Maven
into a per-version cache and run ``kafka.Kafka`` with JDK 17.

Safety rules the code below enforces:

* the broker is a child that dies with us (``PR_SET_PDEATHSIG``), so a
  crashed test run or a killed ``make run`` never leaves a JVM behind;
* readiness is a real metadata request answered by the broker, not a log line;
* a persistent data dir remembers its ports, so a restart keeps the same
  bootstrap address (and, being the same log dir, the same topics).
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import fcntl
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from types import TracebackType
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from vigil.children import die_with_parent, stop_child

# Keep in step with <kafka.version> in pom.xml (ensure_jars checks it).
KAFKA_VERSION = "4.1.1"

_HERE = Path(__file__).resolve().parent
POM = _HERE / "pom.xml"
LOG4J2_CONFIG = _HERE / "log4j2.properties"
_HOST = "127.0.0.1"
_PORTS_FILE = "ports.json"


class BrokerError(RuntimeError):
    """The local broker could not be provisioned, started or reached."""


def bootstrap_from_env() -> str | None:
    """Return ``KAFKA_BOOTSTRAP_SERVERS`` if set: an external cluster wins."""
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or None


# --------------------------------------------------------------------- jars


def kafka_home(version: str = KAFKA_VERSION) -> Path:
    """Per-version cache dir; shared by every checkout so Maven runs once."""
    root = os.environ.get("VIGIL_CACHE_DIR") or str(Path.home() / ".cache" / "vigil")
    return Path(root).expanduser() / f"kafka-{version}"


def ensure_jars() -> Path:
    """Return the ``libs`` dir of the broker classpath, running Maven only if needed.

    A marker holding the pom's hash is written after a complete copy, so an
    interrupted download or an edited pom triggers a fresh resolve. A file
    lock keeps parallel callers (``make run`` + pytest) from racing.
    """
    home = kafka_home()
    libs, marker = home / "libs", home / "complete"
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()
    if _jars_complete(libs, marker, digest):
        return libs
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _jars_complete(libs, marker, digest):
            return libs
        mvn = shutil.which("mvn")
        if mvn is None:
            raise BrokerError(
                "Maven (mvn) is not on PATH; it is needed once to fetch the Kafka "
                "jars. Install Maven 3.8+ or set KAFKA_BOOTSTRAP_SERVERS."
            )
        print(
            f"vigil: fetching Apache Kafka {KAFKA_VERSION} jars from Maven Central into {libs} (one-time)...",
            file=sys.stderr,
            flush=True,
        )
        tmp = home / f"libs.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        cmd = [
            mvn,
            "-q",
            "-B",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={tmp}",
            "-DincludeScope=runtime",
        ]
        done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
        if done.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            raise BrokerError(f"Maven failed to resolve Kafka jars:\n{_tail(done.stdout)}")
        if not (tmp / f"kafka_2.13-{KAFKA_VERSION}.jar").exists():
            shutil.rmtree(tmp, ignore_errors=True)
            raise BrokerError(f"{POM} does not pin kafka_2.13 {KAFKA_VERSION} (KAFKA_VERSION)")
        shutil.rmtree(libs, ignore_errors=True)
        tmp.rename(libs)
        marker.write_text(digest)
    return libs


def _jars_complete(libs: Path, marker: Path, digest: str) -> bool:
    return marker.is_file() and marker.read_text() == digest and libs.is_dir()


# ------------------------------------------------------------- readiness


def wait_for_metadata(bootstrap: str, timeout: float = 90, *, check: Callable[[], None] | None = None) -> None:
    """Poll until the cluster answers a metadata request listing a broker.

    ``check`` runs between attempts and may raise (e.g. the JVM exited), so
    a dead broker fails fast instead of after the full timeout.
    """
    deadline = time.monotonic() + timeout
    while True:
        if check is not None:
            check()
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"Kafka at {bootstrap} did not answer metadata within {timeout:g}s")
        # A TCP connect first keeps aiokafka from logging connection errors
        # while the JVM is still booting.
        if _accepts(bootstrap) and _run_in_fresh_loop(_metadata_ok(bootstrap, min(left, 10.0))):
            return
        time.sleep(0.25)


def _accepts(bootstrap: str) -> bool:
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host.strip("[]") or _HOST, int(port)), timeout=1):
                return True
        except (OSError, ValueError):
            continue
    return False


async def _metadata_ok(bootstrap: str, timeout: float) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
    try:
        await asyncio.wait_for(admin.start(), timeout)
        info = await asyncio.wait_for(admin.describe_cluster(), timeout)
        return bool(info.get("brokers"))
    except (TimeoutError, KafkaError, OSError):
        return False
    finally:
        await admin.close()


def _run_in_fresh_loop(coro: Coroutine[Any, Any, bool]) -> bool:
    """Run ``coro`` on a private loop in a worker thread.

    Callers may already be inside an event loop (async tests, Faust), where
    ``asyncio.run`` is forbidden and would also reset the thread's loop.
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


# ---------------------------------------------------------------- broker

# PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, not
# the process. Forking from one long-lived thread ties the broker's life to
# the whole Python process even when start() is called from a short-lived
# worker thread (asyncio.to_thread, executors).
_SPAWNER = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="vigil-kafka-spawn")


class LocalKafka:
    """One single-node KRaft broker (combined broker+controller) under ``data_dir``.

    Usage::

        with LocalKafka(data_dir=Path("var/kafka")) as kafka:
            use(kafka.bootstrap)
    """

    def __init__(
        self,
        *,
        data_dir: Path,
        port: int = 0,
        controller_port: int = 0,
        log_dir: Path | None = None,
        heap: tuple[str, str] = ("256m", "768m"),
    ) -> None:
        """``port``/``controller_port`` 0 mean: reuse the ports remembered in
        ``data_dir`` if still free, else pick free ones. ``log_dir`` (default
        ``data_dir/logs``) receives server.log (WARN+) and the JVM's stdout."""
        self.data_dir = Path(data_dir).resolve()
        self.log_dir = Path(log_dir).resolve() if log_dir else self.data_dir / "logs"
        self._want_port, self._want_cport = port, controller_port
        self._heap = heap
        self._port = self._cport = 0
        self._proc: subprocess.Popen[bytes] | None = None

    # -- public API ---------------------------------------------------------

    @property
    def bootstrap(self) -> str:
        """``host:port`` for clients; only valid while started."""
        if self._proc is None:
            raise BrokerError("LocalKafka is not started")
        return f"{_HOST}:{self._port}"

    @property
    def running(self) -> bool:
        """True while the broker JVM is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 90) -> str:
        """Format storage if new, launch the JVM, wait for metadata; return bootstrap."""
        if self.running:
            return self.bootstrap
        libs = ensure_jars()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._port, self._cport = self._resolve_ports()
        config = self._write_config()
        if not (self._kafka_logs / "meta.properties").exists():
            self._format(libs, config)
        self._proc = self._spawn(libs, config)
        try:
            wait_for_metadata(self.bootstrap, timeout, check=self._check_alive)
        except TimeoutError as exc:
            self.stop()
            raise BrokerError(f"{exc}; broker log tail:\n{self._log_tail()}") from None
        except BaseException:
            self.stop()
            raise
        return self.bootstrap

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM (Kafka shuts down cleanly), SIGKILL if it is still alive after ``timeout``."""
        proc, self._proc = self._proc, None
        if proc is not None:
            stop_child(proc, timeout)

    def __enter__(self) -> LocalKafka:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def log_tail(self, lines: int = 40) -> str:
        """Last lines of the broker's own log and JVM output, for error messages."""
        return self._log_tail(lines)

    # -- internals ----------------------------------------------------------

    @property
    def _kafka_logs(self) -> Path:
        return self.data_dir / "kafka-logs"

    def _resolve_ports(self) -> tuple[int, int]:
        saved: dict[str, int] = {}
        ports_file = self.data_dir / _PORTS_FILE
        if ports_file.exists():
            try:
                saved = json.loads(ports_file.read_text())
            except ValueError:
                saved = {}
        port = self._pick(self._want_port, saved.get("port"), avoid=set())
        cport = self._pick(self._want_cport, saved.get("controller_port"), avoid={port})
        ports_file.write_text(json.dumps({"port": port, "controller_port": cport}) + "\n")
        return port, cport

    @staticmethod
    def _pick(wanted: int, saved: int | None, avoid: set[int]) -> int:
        if wanted:
            if wanted in avoid or not _port_free(wanted):
                raise BrokerError(f"port {wanted} on {_HOST} is already in use")
            return wanted
        if saved and saved not in avoid and _port_free(saved):
            return saved
        while True:
            port = _free_port()
            if port not in avoid:
                return port

    def _write_config(self) -> Path:
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            # Static single voter: robust to the controller port changing
            # between restarts (a dynamic quorum records the endpoint).
            "controller.quorum.voters": f"1@{_HOST}:{self._cport}",
            "controller.listener.names": "CONTROLLER",
            "listeners": f"PLAINTEXT://{_HOST}:{self._port},CONTROLLER://{_HOST}:{self._cport}",
            "advertised.listeners": f"PLAINTEXT://{_HOST}:{self._port}",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self._kafka_logs),
            "num.partitions": "3",
            "default.replication.factor": "1",
            "min.insync.replicas": "1",
            # Internal topics default to RF 3 / 50 partitions: impossible or
            # slow on one node.
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "5",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "5",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "true",
            "delete.topic.enable": "true",
        }
        config = self.data_dir / "server.properties"
        body = "".join(f"{k}={v}\n" for k, v in props.items())
        config.write_text("# Written by vigil.broker.launcher on every start.\n" + body)
        return config

    def _java_cmd(self, libs: Path, *args: str, heap: bool = False) -> list[str]:
        java = Path(os.environ["JAVA_HOME"]) / "bin" / "java" if os.environ.get("JAVA_HOME") else None
        exe = str(java) if java and java.exists() else shutil.which("java")
        if exe is None:
            raise BrokerError("java (JDK 17+) is not on PATH and JAVA_HOME is not set")
        opts = [f"-Xms{self._heap[0]}", f"-Xmx{self._heap[1]}"] if heap else []
        return [
            exe,
            *opts,
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={LOG4J2_CONFIG}",
            f"-Dkafka.logs.dir={self.log_dir}",
            "-cp",
            str(libs / "*"),
            *args,
        ]

    def _format(self, libs: Path, config: Path) -> None:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        # `=`: about one id in 64 starts with "-", which a separate argument would turn into an option.
        cmd = self._java_cmd(libs, "kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}", "-c", str(config))
        done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
        if done.returncode != 0:
            raise BrokerError(f"Kafka storage format failed:\n{_tail(done.stdout)}")

    def _spawn(self, libs: Path, config: Path) -> subprocess.Popen[bytes]:
        cmd = self._java_cmd(libs, "kafka.Kafka", str(config), heap=True)
        preexec = die_with_parent()
        with open(self.log_dir / "broker.out", "ab") as out:
            # New session: a terminal Ctrl-C reaches only us; we stop the broker.
            return _SPAWNER.submit(
                subprocess.Popen,
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                cwd=self.data_dir,
                start_new_session=True,
                preexec_fn=preexec,
            ).result()

    def _check_alive(self) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is not None:
            raise BrokerError(
                f"Kafka broker exited with code {proc.returncode} during startup; log tail:\n{self._log_tail()}"
            )

    def _log_tail(self, lines: int = 40) -> str:
        parts = []
        for name in ("server.log", "broker.out"):
            path = self.log_dir / name
            if path.exists() and path.stat().st_size:
                parts.append(f"--- {path} ---\n{_tail(path.read_text(errors='replace'), lines)}")
        return "\n".join(parts) or f"(no logs in {self.log_dir})"


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _port_free(port: int) -> bool:
    # SO_REUSEADDR like the JVM, so TIME_WAIT leftovers of our own previous
    # run do not count as "in use".
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((_HOST, port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((_HOST, 0))
        return int(sock.getsockname()[1])
