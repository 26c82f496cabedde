"""`serve --workers N`: uvicorn's supervisor, each worker accepting on a socket of its own.

uvicorn's workers share the one socket the supervisor binds, and whichever worker is awake when
connections arrive accepts all that are waiting. Clients that keep their connections (a
partner's pool, a load balancer's upstream connections, the benches' 16 or 50) then land mostly
on one worker: on the 秒批 bench one worker used 3.5 min of CPU while the other used 1.4. With
SO_REUSEPORT every worker binds its own socket to the same address, and the kernel spreads new
connections over them by a hash of the client's address and port. The supervisor still starts,
health-checks, restarts and stops the workers.

The price: a worker that stops (a SIGHUP restart, a crash) closes its own socket, and the
connections waiting in that socket's queue, not yet accepted, are reset, where a shared socket
kept them for the other workers. Linux 5.14 and later moves them to another worker of the group
instead when `net.ipv4.tcp_migrate_req` is 1: set it on the hosts (README, "Command line")."""

from __future__ import annotations

import logging
import socket
import sys

from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.supervisors import multiprocess

logger = logging.getLogger("qingeban")


def own_socket(config: Config) -> socket.socket:
    """A socket bound to the configured address with SO_REUSEPORT, so that every worker can bind
    one; the worker's server listens on it."""
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((config.host, config.port))
    except OSError as exc:
        logger.error("cannot listen on %s:%s: %s", config.host, config.port, exc)
        sys.exit(STARTUP_FAILURE)  # the supervisor stops rather than restart it forever
    return sock


class OwnSocketWorker(multiprocess.Process):
    """A uvicorn worker process that listens on its own socket, not the supervisor's."""

    def target(self, sockets: list[socket.socket] | None = None) -> None:  # pragma: no cover
        super().target([own_socket(self.config)])  # runs in the worker process


def serve(config: Config) -> None:
    """Run `config.workers` workers under uvicorn's supervisor until it is told to stop.

    The supervisor makes its workers (at start, on a restart, on SIGHUP and SIGTTIN) by its
    module's name `Process`; that name is pointed at OwnSocketWorker for this process, the
    supervisor's, which never serves itself. A port of 0 would give every worker a different
    port, so it keeps uvicorn's shared socket."""
    if config.port == 0 or not hasattr(socket, "SO_REUSEPORT"):
        multiprocess.Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    multiprocess.Process = OwnSocketWorker  # type: ignore[misc]
    logger.info(
        "serving on %s:%s with %s workers, each on its own socket",
        config.host, config.port, config.workers,
    )  # fmt: skip
    supervisor = multiprocess.Multiprocess(config, sockets=[])
    supervisor.run()
    if any(worker.exitcode == STARTUP_FAILURE for worker in supervisor.processes):
        sys.exit(STARTUP_FAILURE)  # as uvicorn's own bind failure exits: the start failed
