"""Datasette served from inside `veille run`: uvicorn on its own event loop, in a daemon thread
beside the scheduler and the collector."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from veille.cli import UsageProblem
from veille.service_log import log


class WebThread:
    """The Datasette UI of the service; ``start`` returns once it listens, or raises."""

    def __init__(self, db_path: str, config_path: str, host: str, port: int, public: bool):
        self.db_path = db_path
        self.config_path = config_path
        self.host = host
        self.port = port
        self.public = public
        self.thread: threading.Thread | None = None
        self.server: Any = None
        self.error: BaseException | None = None

    def start(self) -> None:
        """Bind, serve, and wait until uvicorn has started (a UsageProblem when it cannot)."""
        from veille.serve import bind_socket, check_host

        check_host(self.host, self.public)
        sock = bind_socket(self.host, self.port)
        ready = threading.Event()

        def run() -> None:
            async def main() -> None:
                server = await self._make_server()
                self.server = server
                task = asyncio.create_task(server.serve(sockets=[sock]))
                while not server.started and not task.done():
                    await asyncio.sleep(0.05)
                ready.set()
                await task

            try:
                asyncio.run(main())
            except BaseException as e:  # noqa: BLE001 - uvicorn exits with SystemExit on bind errors
                self.error = e
            finally:
                ready.set()

        self.thread = threading.Thread(target=run, name="veille-web", daemon=True)
        self.thread.start()
        ready.wait(30)
        server = self.server
        if server is None or not server.started:
            detail = f" ({self.error})" if self.error and str(self.error) else ""
            raise UsageProblem(f"cannot serve Datasette on {self.host}:{self.port}{detail}; is the port in use?")
        shown = "localhost" if self.host == "127.0.0.1" else self.host
        log.info("Datasette on http://%s:%d/", shown, self.port)

    async def _make_server(self) -> Any:
        from veille.serve import make_server
        from veille.webapp import make_datasette

        ds = make_datasette(self.db_path, self.public, config_path=self.config_path)
        await ds.invoke_startup()
        return make_server(ds, self.host, self.port)

    def stopped(self) -> bool:
        """True when the server thread has ended (uvicorn stopped on its own)."""
        return self.thread is not None and not self.thread.is_alive()

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(3)
