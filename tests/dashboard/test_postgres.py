"""The dashboard reads PostgreSQL the same way it reads SQLite (skipped without a server)."""

import json
import re
import threading
import time
import urllib.request
import uuid

import pytest

import tunelab

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url():
    psycopg = pytest.importorskip("psycopg", reason="the postgres extra is not installed")
    name = f"tunelab_dash_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True,
                                connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL on 127.0.0.1:5432 ({exc})")
    admin.execute(f"CREATE DATABASE {name}")
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
    admin.close()


def test_live_study_in_postgres(pg_url):
    from tunelab.dashboard import make_server

    study = tunelab.create_study(storage=pg_url, study_name="pg")
    study.optimize(lambda t: t.suggest_float("x", 1e-3, 1, log=True), n_trials=5)
    running = study.ask()
    running.suggest_float("x", 1e-3, 1, log=True)
    server = make_server(pg_url, port=0, preload=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/api/studies"
    try:
        with urllib.request.urlopen(base) as response:
            (listed,) = json.loads(response.read())["studies"]
        assert listed["name"] == "pg" and listed["n_trials"] == 6
        sid = listed["id"]
        with urllib.request.urlopen(f"{base}/{sid}/updates?since=0") as response:
            first = json.loads(response.read())
        assert [r["state"] for r in first["rows"]][-1] == "RUNNING"
        study.tell(running, 0.0)
        time.sleep(0.3)
        with urllib.request.urlopen(f"{base}/{sid}/updates?since={first['revision']}") as response:
            rows = json.loads(response.read())["rows"]
        assert [(r["number"], r["state"]) for r in rows] == [(5, "COMPLETE")]
        with pytest.raises(Exception, match="read-only"):
            with server.app.source._engine.connect() as conn:
                conn.exec_driver_sql("DELETE FROM tunelab_trials")
    finally:
        server.shutdown()
        server.server_close()


def tables(pg_url):
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        return [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]


@pytest.mark.parametrize("command", [["studies"], ["trials", "--study", "x"], ["best", "--study", "x"],
                                     ["report", "--study", "x"], ["dashboard", "--port", "0"]])
def test_read_only_commands_create_nothing_in_an_empty_database(pg_url, command, capsys, tmp_path, monkeypatch):
    from tunelab.cli import main

    monkeypatch.chdir(tmp_path)
    with_password = pg_url.replace("postgres@", "postgres:pw-s3cret@", 1)  # the server trusts local users
    assert main([*command, "--storage", with_password]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "pw-s3cret" not in err
    assert re.search(r"postgres:\*\*\*@127\.0\.0\.1:5432/tunelab_dash_\w+' holds no tunelab", err), err
    assert tables(pg_url) == [] and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["studies"], ["dashboard", "--port", "0"], ["tell", "--study", "x", "--trial", "0",
                                                                                 "--values", "1"]])
def test_an_unreachable_server_is_one_line_without_the_password(command, capsys):
    pytest.importorskip("psycopg", reason="the postgres extra is not installed")
    from tunelab.cli import main

    assert main([*command, "--storage", "postgresql://alice:pw-s3cret@127.0.0.1:1/tuning"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "pw-s3cret" not in err
    assert re.search(r"'postgresql://alice:\*\*\*@127\.0\.0\.1:1/tuning'.*(refused|failed)", err), err
