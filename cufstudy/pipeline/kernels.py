"""Warm kernels: each run's Jupyter kernel forked from a parent that has already imported what the notebooks use.

A cold kernel costs about 1 s of processor time before a notebook's first cell has done anything: the
interpreter starts, imports ipykernel and IPython, then the first cell imports pandas, Altair and the
library. A batch of 18 runs pays it 18 times. :class:`KernelForkServer` pays it once per batch: a
*zygote* (``python -c``, started in the project folder) imports ipykernel and the modules the batch's
notebooks import at their top level (:func:`notebook_imports`), then forks one child per kernel launch.
Each child becomes an ordinary ipykernel (``ipykernel_launcher -f <connection file>``) in its own session,
with the environment and working directory the kernel manager asked for.

No state passes from one run to the next: every kernel is a fresh copy of the zygote, which never runs a
notebook's code; what a kernel changes (variables, module attributes, options) dies with it. What the
zygote did once is what every cold kernel would have done at the same imports. A fork copies only the
thread that forks: an import that starts threads of its own (a JavaScript runtime, a thread pool; counted
in ``/proc/self/task`` after numpy's BLAS threads, which survive a fork) makes every kernel of the batch
start cold.

The kernel manager sees no difference (:class:`WarmKernelManager` and its provisioner): the child is
signalled by its process group as a kernel started by :class:`subprocess.Popen` is, and its exit status
comes from the zygote, which reaps it. Whatever the zygote cannot do (another kernel command than
``python -m ipykernel_launcher`` of this interpreter, a zygote that failed to start or died), the launch
falls back to a cold kernel: warm kernels change how fast a run starts, never whether it runs.

The work unit stays a function of plain arguments: it names a server by a key (:func:`warm_kernels`
registers it for the duration of a batch); in a process that does not know the key, kernels start cold.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

__all__ = ["KernelForkServer", "ModuleImport", "WarmKernelManager", "notebook_imports", "server", "warm_kernels"]


@dataclass(frozen=True)
class ModuleImport:
    """What the notebooks of a batch import from one module, for the zygote to do it once.

    ``from cufstudy.notebook import charts, facts`` gives ``names`` (``charts``, ``facts``), and
    ``charts.cases_map(…)`` in a cell gives ``uses`` (``("charts", ("cases_map",))``): a package that loads
    its parts on first use (``cufstudy.notebook`` and its ``charts``, which import Altair) loads them in the
    zygote, not in every kernel (0.1-0.3 s of processor time a run). A use of ``""`` reads attributes of the
    module itself (``import cufstudy.notebook.charts as c`` then ``c.cases_map``).
    """

    module: str
    names: tuple[str, ...] = ()
    uses: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"module": self.module, "names": list(self.names), "uses": [[n, list(a)] for n, a in self.uses]}

#: Always in the zygote: what every kernel imports before it runs a cell.
_KERNEL_MODULES = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger", "IPython.core.interactiveshell")

# The zygote. Its standard input and output carry one JSON request and one JSON reply per line; fds 0 and 1
# are then pointed at /dev/null and stderr, so that nothing an import prints can reach the protocol.
_ZYGOTE = r"""
import json, os, signal, sys, threading, traceback
rfd, wfd = os.dup(0), os.dup(1)
null = os.open(os.devnull, os.O_RDONLY)
os.dup2(null, 0)
os.close(null)
os.dup2(2, 1)
statuses = {}

def reap(*_):
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        statuses[pid] = os.waitstatus_to_exitcode(status)

def tasks():
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:  # not Linux: no count of native threads
        return 0

failed = []
names = json.loads(sys.argv[1])
base = int(sys.argv[2])  # the kernel's own modules and numpy first: numpy's BLAS threads survive a fork
for i, name in enumerate(names):
    if i == base:
        threads = tasks()
    try:
        if isinstance(name, dict):  # what a package loads on first use loads here, as in the cells
            spec, name = name, name["module"]
            module = __import__(name, fromlist=spec["names"])
            for bound, attributes in spec["uses"]:
                owner = getattr(module, bound, None) if bound else sys.modules.get(name)
                if type(owner) is type(sys):  # a module: its attributes are what the cells read
                    for attribute in attributes:
                        getattr(owner, attribute, None)
        else:
            __import__(name)
    except KeyboardInterrupt:
        raise
    except BaseException:
        failed.append(name)
# a module that started threads of its own (a JavaScript runtime, a thread pool) cannot be forked safely:
# a forked copy would hold their locks without the threads; the kernels then start cold
unsafe = threading.active_count() > 1 or (base < len(names) and tasks() > threads)
signal.signal(signal.SIGCHLD, reap)  # after the imports: a child an import waits for is its own

def launch(req):
    if unsafe:
        return {"error": "an import started threads in the kernel server: it cannot fork"}
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        pid = os.fork()
    except OSError as exc:  # no more processes: the caller starts a cold kernel (or reports it)
        return {"error": f"the kernel server cannot fork: {exc}"}
    if pid:
        return {"pid": pid}
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.setsid()
        os.close(rfd)
        os.close(wfd)
        os.chdir(req["cwd"])
        os.environ.clear()
        os.environ.update(req["env"])
        sys.argv = req["argv"]
        if sys.path and (sys.path[0] == "" or os.path.realpath(sys.path[0]) == os.getcwd()):
            del sys.path[0]  # as ipykernel_launcher does; IPython puts the working directory back
        numpy_random = sys.modules.get("numpy.random")
        if numpy_random is not None:  # as the standard library's random does after a fork: not the zygote's seed
            numpy_random.seed()
        from ipykernel import kernelapp
        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        os._exit(code)

out = os.fdopen(wfd, "wb", buffering=0)
out.write((json.dumps({"ready": True, "failed": failed}) + "\n").encode())
for line in os.fdopen(rfd, "rb"):
    req = json.loads(line)
    if req["op"] == "launch":
        reply = launch(req)
    else:
        reap()
        reply = {"status": statuses.pop(req["pid"], None)}
    out.write((json.dumps(reply) + "\n").encode())
# the end of the batch: no interpreter finalisation (0.4 s of modules torn down, their exit handlers) to wait
# for, nothing of the zygote's to save
sys.stderr.flush()
os._exit(0)
"""


class KernelServerError(RuntimeError):
    """The zygote could not launch a kernel (the caller starts a cold one)."""


class KernelForkServer:
    """A zygote process that forks warm Jupyter kernels for one batch of runs.

    Parameters
    ----------
    cwd
        The project folder: the zygote starts there, so that its imports see what a kernel's would.
    modules
        Modules to import once: names, or what :func:`notebook_imports` found (a module, the names imported
        from it and the attributes the cells read, so that what a package loads on first use is loaded once
        too); one that fails to import is left out, and the kernel that imports it fails as a cold one would.
    """

    def __init__(
        self, cwd: Path, modules: Iterable[str | ModuleImport] = (), interpreter: Sequence[str] = ()
    ) -> None:
        self.cwd = Path(cwd)
        self.interpreter = list(interpreter) or [sys.executable]
        self.python = os.path.realpath(self.interpreter[0])
        first = [*_KERNEL_MODULES, "numpy"]
        names = [m.to_json() if isinstance(m, ModuleImport) else m for m in dict.fromkeys((*first, *modules))]
        self._lock = threading.Lock()
        self._ready = False
        self.failed: list[str] = []
        self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
            [*self.interpreter, "-c", _ZYGOTE, json.dumps(names), str(len(first))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=self.cwd,
            start_new_session=True,  # a Ctrl-C in the terminal is the build's to handle; EOF stops the zygote
        )

    def accepts(self, cmd: list[str]) -> bool:
        """Whether ``cmd`` is ipykernel's kernel on the zygote's interpreter with its options
        (``python -Xfrozen_modules=off -m ipykernel_launcher …``)."""
        n = len(self.interpreter)
        return (
            self._proc is not None
            and len(cmd) >= n + 2
            and os.path.realpath(cmd[0]) == self.python
            and cmd[1:n] == self.interpreter[1:]
            and cmd[n : n + 2] == ["-m", "ipykernel_launcher"]
        )

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            proc = self._proc
            if proc is None or proc.stdin is None or proc.stdout is None:
                raise KernelServerError("the kernel server is closed")
            try:
                if not self._ready:
                    hello = json.loads(proc.stdout.readline() or b"null")
                    if not isinstance(hello, dict):
                        raise KernelServerError("the kernel server did not start")
                    self.failed = list(hello.get("failed", []))
                    self._ready = True
                proc.stdin.write((json.dumps(request) + "\n").encode())
                proc.stdin.flush()
                reply = json.loads(proc.stdout.readline() or b"null")
            except (OSError, ValueError) as exc:
                raise KernelServerError(f"the kernel server stopped: {exc}") from exc
            if not isinstance(reply, dict):
                raise KernelServerError("the kernel server stopped")
            if "error" in reply:
                raise KernelServerError(str(reply["error"]))
            return reply

    def launch(self, cmd: list[str], env: dict[str, str], cwd: str | os.PathLike[str]) -> ForkedKernel:
        """Fork a kernel running ``cmd``'s arguments, in ``cwd`` with exactly ``env``."""
        assert self._proc is not None
        n = len(self.interpreter)
        argv = [cmd[n + 1], *cmd[n + 2 :], f"--IPKernelApp.parent_handle={self._proc.pid}"]
        reply = self._ask({"op": "launch", "argv": argv, "env": dict(env), "cwd": os.fspath(cwd)})
        return ForkedKernel(self, int(reply["pid"]))

    def status(self, pid: int) -> int | None:
        """The exit status of a forked kernel, or None while it runs."""
        try:
            reply = self._ask({"op": "status", "pid": pid})
        except KernelServerError:  # the zygote is gone: its children were re-parented
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return -signal.SIGKILL
            return None
        status = reply.get("status")
        return int(status) if status is not None else None

    def close(self) -> None:
        """Stop the zygote (its kernels are stopped by their managers)."""
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            if proc.stdin is not None:
                proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


class ForkedKernel:
    """A forked kernel seen as the :class:`subprocess.Popen` a kernel provisioner expects."""

    stdin = stdout = stderr = None

    def __init__(self, server: KernelForkServer, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._server = server

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self._server.status(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout or 0)
            time.sleep(0.02)
        return code

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _provisioner_class() -> type[Any]:
    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

    class ForkingProvisioner(LocalProvisioner):
        """LocalProvisioner whose kernel process is forked by the batch's :class:`KernelForkServer`."""

        async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
            fork = getattr(self.parent, "fork_server", None)
            if isinstance(fork, KernelForkServer) and fork.accepts(cmd):
                env = kwargs.get("env") or dict(os.environ)
                cwd = kwargs.get("cwd") or Path.cwd()
                try:
                    kernel = fork.launch(cmd, env, cwd)
                except KernelServerError:
                    pass
                else:
                    self.process = kernel  # type: ignore[assignment]  # Popen's interface, as the base uses it
                    self.pid = self.pgid = kernel.pid  # the child made its own session
                    self.cwd = cwd
                    return self.connection_info
            return await super().launch_kernel(cmd, **kwargs)

        async def kill(self, restart: bool = False) -> None:
            """As the base's kill, then up to 50 ms for the kernel to be gone: its manager checks at once, then
            every 0.1 s, and a killed kernel is gone within milliseconds."""
            await super().kill(restart)
            kernel = self.process
            if isinstance(kernel, ForkedKernel):
                for _ in range(25):
                    if kernel.poll() is not None:
                        break
                    await asyncio.sleep(0.002)

    return ForkingProvisioner


#: How long a kernel's output channel may take to bring the status of a ``kernel_info`` request before the
#: request is sent again: a subscriber that connected after the kernel published misses its messages (7 of
#: the 18 kernel starts of a cold build did, each waiting the whole wait: 0.5 s before). A late status of an
#: earlier request counts as well, so a short wait only sends one more request on a slow machine.
_READY_WAIT = 0.05


def _client_class() -> type[Any]:
    from queue import Empty

    from jupyter_client.asynchronous.client import AsyncKernelClient

    class ReadyKernelClient(AsyncKernelClient):
        """An AsyncKernelClient that knows its kernel is ready when the output channel brings the ``idle``
        status of its ``kernel_info`` request, instead of waiting for that channel to be silent for 0.2 s
        (jupyter_client's flush, an idle wait at every kernel start). Later messages of that request are
        ignored by nbclient, which reads only the messages of the cell it executes."""

        async def _ready(self, timeout: float | None = None) -> None:
            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            sent: set[str] = set()
            reply: dict[str, Any] | None = None
            while True:
                sent.add(self.kernel_info())
                try:
                    answer = await self.shell_channel.get_msg(timeout=1)
                except Empty:
                    answer = None
                if answer is not None and answer["msg_type"] == "kernel_info_reply":
                    reply = answer
                if reply is not None and await self._idle_after(sent, _READY_WAIT):
                    self._handle_kernel_info_reply(reply)
                    return
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

        async def _idle_after(self, requests: set[str], wait: float) -> bool:
            """True when the output channel brings the ``idle`` status of one of ``requests`` within ``wait``
            seconds (the messages before it are dropped, as jupyter_client's flush drops them)."""
            end = time.monotonic() + wait
            while (left := end - time.monotonic()) > 0:
                try:
                    msg = await self.iopub_channel.get_msg(timeout=left)
                except Empty:
                    return False
                ours = (msg.get("parent_header") or {}).get("msg_id") in requests
                if ours and msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle":
                    return True
            return False

        wait_for_ready = _ready

    return ReadyKernelClient


def _manager_class() -> type[Any]:
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class _WarmKernelManager(AsyncKernelManager):
        """An AsyncKernelManager whose kernels come from :attr:`fork_server` when it can, with a client that
        does not wait for the kernel's output channel to fall silent (:func:`_client_class`), and
        :attr:`environment` added to the kernel's environment."""

        fork_server: ClassVar[KernelForkServer | None] = None
        environment: ClassVar[dict[str, str]] = {}

        @default("client_factory")
        def _client_factory_default(self) -> type[Any]:
            return _client_class()

        async def _async_pre_start_kernel(self, **kw: Any) -> Any:
            if self.provisioner is None and self.fork_server is not None:
                self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
                self.provisioner = _provisioner_class()(
                    kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self
                )
            if self.environment:
                kw["env"] = {**(kw.get("env") or os.environ), **self.environment}
            return await super()._async_pre_start_kernel(**kw)

    return _WarmKernelManager


def WarmKernelManager(  # noqa: N802 - a class factory
    fork: KernelForkServer | None, environment: dict[str, str] | None = None
) -> type[Any]:
    """The kernel manager class (for nbclient's ``kernel_manager_class``) launching from ``fork`` (None: a
    cold kernel), its kernels' environment that of this process with ``environment`` added."""
    return type("WarmKernelManager", (_manager_class(),), {"fork_server": fork, "environment": dict(environment or {})})


_SERVERS: dict[str, KernelForkServer] = {}


def server(key: str | None) -> KernelForkServer | None:
    """The fork server registered as ``key`` in this process, if any."""
    return _SERVERS.get(key) if key else None


@contextlib.contextmanager
def warm_kernels(cwd: Path, notebooks: Iterable[Path], kernel: str = "python3") -> Iterator[str | None]:
    """A fork server for the batch's kernels (of kernel spec ``kernel``), registered under the key yielded;
    closed on exit. None when no zygote can be started (an interpreter this user cannot execute): cold kernels.
    """
    try:
        fork = KernelForkServer(cwd, notebook_imports(notebooks), _interpreter(kernel))
    except OSError:
        yield None
        return
    key = uuid.uuid4().hex
    _SERVERS[key] = fork
    try:
        yield key
    finally:
        _SERVERS.pop(key, None)
        fork.close()


def _interpreter(kernel: str) -> list[str]:
    """The interpreter and its options in kernel spec ``kernel``'s command, before ``-m ipykernel_launcher``
    (this interpreter when the spec cannot be read or is not ipykernel's: its kernels then start cold)."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        argv = list(KernelSpecManager().get_kernel_spec(kernel).argv)
    except Exception:  # no such kernel: the run reports it
        return [sys.executable]
    for i in range(1, len(argv) - 1):
        if argv[i : i + 2] == ["-m", "ipykernel_launcher"]:
            return argv[:i]
    return [sys.executable]


def notebook_imports(notebooks: Iterable[Path]) -> list[ModuleImport]:
    """What the code cells of ``notebooks`` import at their top level, module by module in order of first
    sight: the names imported from each module, and the attributes the cells read on the names an import
    binds (``charts.cases_map`` after ``from cufstudy.notebook import charts``, anywhere in the notebook).

    Imports inside functions or conditions are left to the kernel; a cell that does not parse as Python
    (IPython magics) is skipped; relative imports are ignored; ``*`` imports the module alone.
    """
    names: dict[str, dict[str, None]] = {}
    uses: dict[str, dict[str, dict[str, None]]] = {}
    for path in notebooks:
        try:
            cells = json.loads(Path(path).read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError):
            continue
        bound: dict[str, tuple[str, str]] = {}  # a notebook's name -> (module, name in it; "" for the module)
        trees = []
        for cell in cells:
            if cell.get("cell_type") != "code":
                continue
            source = cell.get("source", "")
            try:
                trees.append(ast.parse("".join(source) if isinstance(source, list) else str(source)))
            except SyntaxError:
                continue
        for tree in trees:
            for node in tree.body:
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        names.setdefault(alias.name, {})
                        if alias.asname or "." not in alias.name:
                            bound[alias.asname or alias.name] = (alias.name, "")
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    imported = names.setdefault(node.module, {})
                    for alias in node.names:
                        if alias.name != "*":
                            imported[alias.name] = None
                            bound[alias.asname or alias.name] = (node.module, alias.name)
        for tree in trees:
            for seen in ast.walk(tree):
                if isinstance(seen, ast.Attribute) and isinstance(seen.value, ast.Name) and seen.value.id in bound:
                    module, name = bound[seen.value.id]
                    uses.setdefault(module, {}).setdefault(name, {})[seen.attr] = None
    return [
        ModuleImport(
            module,
            tuple(imported),
            tuple((name, tuple(attributes)) for name, attributes in uses.get(module, {}).items()),
        )
        for module, imported in names.items()
    ]
