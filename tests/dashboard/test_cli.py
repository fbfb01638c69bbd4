"""``tunelab dashboard`` from the shell."""

import re
import subprocess
import sys
import time
import urllib.request

import pytest

from tunelab.cli import main


def test_missing_database_is_an_error_not_a_new_file(tmp_path, capsys):
    assert main(["dashboard", "--storage", f"sqlite:///{tmp_path / 'none.db'}", "--port", "0"]) == 1
    assert re.search(r"none\.db.* does not exist \(nothing was created\)", capsys.readouterr().err)
    assert not (tmp_path / "none.db").exists()


def test_bad_port_is_refused(demo_url, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["dashboard", "--storage", demo_url, "--port", "70000"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == ("tunelab dashboard: error: argument --port: '70000' is invalid: must be an "
                                       "integer in 0..65535 (see 'tunelab dashboard --help')\n")


def test_a_port_in_use_is_one_clear_line(demo_url, capsys):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["dashboard", "--storage", demo_url, "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"tunelab: error: --host='127.0.0.1' --port={port} cannot be served: Address already in use")
    assert err.count("\n") == 1


def test_serves_on_localhost_by_default(demo_url):
    proc = subprocess.Popen([sys.executable, "-c", "import sys, tunelab.cli; sys.exit(tunelab.cli.main())", "dashboard", "--storage", demo_url, "--port", "0"],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("tunelab dashboard: http://127.0.0.1:")
        url = line.split()[2]
        for _ in range(50):
            try:
                with urllib.request.urlopen(url + "api/studies") as response:
                    assert b'"demo"' in response.read()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("the server did not answer")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
