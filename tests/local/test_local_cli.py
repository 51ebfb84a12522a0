"""``ddbctl local``: option checking with CliRunner, and a real foreground process stopped by signals."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ddbctl.cli.local_cmd import local
from ddbctl.local import AwsLikeOptions

SRC = str(Path(__file__).resolve().parents[2] / "src")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--throttle-rate", "1.5"], "Invalid value for '--throttle-rate': 1.5 is not in the range 0<=x<=1"),
        (["--aws-like", "--error-rate", "-0.1"], "Invalid value for '--error-rate'"),
        (["--aws-like", "--table-create-seconds", "-1"], "Invalid value for '--table-create-seconds'"),
        (["--port", "70000"], "Invalid value for '--port'"),
        (["--seed", "3"], "--seed does not apply to local without --aws-like"),
        (
            ["--latency-ms", "5", "--unprocessed-rate", "0.1"],
            "--unprocessed-rate and --latency-ms do not apply to local without --aws-like",
        ),
    ],
)
def test_bad_options_fail_before_starting(args: list[str], expected: str) -> None:
    result = CliRunner().invoke(local, args)
    assert result.exit_code == 2
    assert expected in result.output


def test_command_registers_in_a_group() -> None:
    group = click.Group("ddbctl")
    group.add_command(local)
    result = CliRunner().invoke(group, ["local", "--help"])
    assert result.exit_code == 0
    assert "--aws-like" in result.output
    assert "--ttl-cooldown-seconds" in result.output


def test_option_defaults_are_the_library_defaults() -> None:
    # The CLI cannot import ddbctl.local at import time (moto is optional), so it repeats the defaults.
    defaults = AwsLikeOptions()
    tuning = [param for param in local.params if param.name not in ("host", "port", "aws_like")]
    assert tuning
    for param in tuning:
        assert param.default == getattr(defaults, str(param.name)), param.name


def test_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(local, ["--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_foreground_server_serves_then_stops_cleanly_on_signal(stop_signal: signal.Signals) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from ddbctl.cli.local_cmd import local; local()",
            "--port",
            str(port),
            "--aws-like",
            "--table-create-seconds",
            "0.1",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90  # a liveness bound: a loaded machine starts Python slowly
        while not port_open(port):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert response.read().startswith(b"healthy")
        process.send_signal(stop_signal)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert f"export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:{port}" in stdout
    assert "(AWS-like)" in stdout
    assert "Traceback" not in stderr
    assert not port_open(port)
