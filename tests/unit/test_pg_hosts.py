"""PostgreSQL URLs of several hosts: the session they need, and their hosts as libpq parameters."""

from urllib.parse import parse_qs, urlsplit

import pytest

from app.adapters.pg_hosts import PREFER_STANDBY, READ_WRITE, host_list, hosts_as_parameters, with_session_attrs

TWO = "postgresql://orders:s%40cret@db1:5432,db2:5433/orders?sslmode=require"


@pytest.fixture(autouse=True)
def no_session_attrs_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PGTARGETSESSIONATTRS", raising=False)


def test_hosts_in_order_with_their_ports() -> None:
    assert host_list(TWO) == [("db1", "5432"), ("db2", "5433")]
    assert host_list("postgresql://u@[::1]:5432,db2,%2Frun%2Fpg/x") == [("::1", "5432"), ("db2", ""), ("/run/pg", "")]
    assert host_list("postgresql:///x") == []


def test_several_hosts_get_the_session_their_use_needs_unless_the_url_names_one() -> None:
    assert parse_qs(urlsplit(with_session_attrs(TWO, READ_WRITE)).query) == {
        "sslmode": ["require"],
        "target_session_attrs": [READ_WRITE],
    }
    named = TWO + "&target_session_attrs=any"
    assert with_session_attrs(named, PREFER_STANDBY) == named
    one = "postgresql://orders@db1:5432/orders"
    assert with_session_attrs(one, READ_WRITE) == one


def test_the_environments_session_attrs_are_left_to_the_drivers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGTARGETSESSIONATTRS", "primary")
    assert with_session_attrs(TWO, READ_WRITE) == TWO


def test_hosts_become_libpq_parameters_and_the_rest_stays() -> None:
    moved = hosts_as_parameters(TWO)
    assert moved.startswith("postgresql://orders:s%40cret@/orders?")
    assert parse_qs(urlsplit(moved).query) == {"sslmode": ["require"], "host": ["db1,db2"], "port": ["5432,5433"]}
    assert parse_qs(urlsplit(hosts_as_parameters("postgresql://[::1],db2:6/x")).query) == {
        "host": ["::1,db2"],
        "port": [",6"],  # an empty port is libpq's default
    }
    assert hosts_as_parameters("postgresql://orders@db1/orders") == "postgresql://orders@db1/orders"
