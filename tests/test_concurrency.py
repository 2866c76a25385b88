"""Several processes write one engagement while another reads it: nothing lost, nothing torn.

Four processes save 500 form entries each at once; a fifth adds customers and then their
service links, each in its own import (customer first); a sixth reads customers and
service links again and again with :meth:`Engagement.snapshot` (one read transaction).
Every save must land, no "database is locked" may reach anyone, and no snapshot may show
a link whose customer it does not show (which reading the two tables in two transactions
would, when a customer and its link land between the reads). SQLite in both journal modes,
and the PostgreSQL store (where the tests have a server: tests/_postgres.py).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests._postgres import make_engagement
from toolkit.store import JOURNAL_ENV, Engagement

WRITERS, SAVES, PAIRS = 4, 500, 60

CHILD = r"""
import sys, time, warnings
from pathlib import Path
import pandas as pd
warnings.simplefilter("ignore")
from toolkit.store import Engagement

role, folder = sys.argv[1], sys.argv[2]
eng = Engagement.open(folder)
print("ready", flush=True)
start = Path(folder).parent / "go"
while not start.exists():
    time.sleep(0.01)
if role == "save":
    w = int(sys.argv[3])
    for i in range(int(sys.argv[4])):
        eng.save_entry("customers", {"customer_id": f"w{w}-{i}", "name": f"Writer {w} #{i}",
                                     "kind": "external", "segment": "Residents"})
    print("done", flush=True)
elif role == "pairs":
    for k in range(int(sys.argv[3])):
        eng.import_frame(pd.DataFrame({"customer_id": [f"k{k}"], "name": [f"K {k}"],
                                       "kind": ["internal"]}), table="customers", source=f"k{k}")
        eng.import_frame(pd.DataFrame({"provider_id": ["hub"], "customer_id": [f"k{k}"],
                                       "service": [f"s{k}"]}), table="service_links", source=f"l{k}")
    print("done", flush=True)
else:
    stop = Path(folder).parent / "stop"
    snapshots, last = 0, (0, 0)
    while not stop.exists() or snapshots < 5:
        tables, _ = eng.snapshot(["customers", "service_links"])
        ids = set(tables["customers"]["customer_id"])
        links = set(tables["service_links"]["customer_id"])
        missing = links - ids
        if missing:
            print("torn", sorted(missing)[:5], flush=True)
            sys.exit(1)
        now = (len(ids), len(links))
        if now < last:
            print("went back", last, now, flush=True)
            sys.exit(1)
        last, snapshots = now, snapshots + 1
    print("snapshots", snapshots, flush=True)
"""


@pytest.mark.slow
@pytest.mark.timeout(1800)  # a hang guard only: 2,000 saves on a busy machine take minutes
@pytest.mark.parametrize("journal", ["wal", "delete", "postgresql"])
def test_four_writers_and_a_reader_at_once_lose_nothing_and_see_no_torn_state(
    tmp_path, monkeypatch, journal, request
):
    env = {**os.environ}
    if journal == "postgresql":
        eng = make_engagement(request, "postgresql", tmp_path / "eng", name="Busy")
    else:
        monkeypatch.setenv(JOURNAL_ENV, journal)
        env[JOURNAL_ENV] = journal
        eng = Engagement.init(tmp_path / "eng", name="Busy")
    assert eng.status()["journal_mode"] == journal
    eng.save_entry("customers", {"customer_id": "hub", "name": "Hub", "kind": "internal"})

    def start(*args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-c", CHILD, args[0], str(eng.path), *args[1:]],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )

    writers = [start("save", str(w), str(SAVES)) for w in range(WRITERS)]
    pairs = start("pairs", str(PAIRS))
    reader = start("read")
    for proc in [*writers, pairs, reader]:  # every one imported the toolkit, opened the store
        line = proc.stdout.readline()
        assert line == "ready\n", line + proc.stderr.read()[-2000:]
    (tmp_path / "go").touch()
    results = []
    for proc in [*writers, pairs]:
        out, err = proc.communicate(timeout=1500)
        results.append((proc.returncode, out, err))
    (tmp_path / "stop").touch()
    r_out, r_err = reader.communicate(timeout=120)
    for code, out, err in results:
        assert "locked" not in err.lower()
        assert code == 0 and out.strip() == "done", err[-2000:]
    assert reader.returncode == 0, r_out + r_err[-2000:]
    assert r_out.startswith("snapshots"), r_out
    assert int(r_out.split()[1]) >= 5

    customers = eng.table("customers")
    for w in range(WRITERS):
        mine = customers[customers["customer_id"].str.startswith(f"w{w}-")]
        assert sorted(mine["customer_id"]) == sorted(f"w{w}-{i}" for i in range(SAVES))
        assert (
            mine["name"] == "Writer " + mine["customer_id"].str[1:].str.replace("-", " #")
        ).all()
    assert len(customers) == 1 + WRITERS * SAVES + PAIRS
    assert len(eng.service_links) == PAIRS
    assert eng.status()["tables"]["customers"] == 1 + WRITERS * SAVES + PAIRS


def test_reading_tables_one_by_one_would_be_caught_by_the_snapshot_check(tmp_path):
    """The reader's check can fail: two tables read in two transactions do tear."""
    eng = Engagement.init(tmp_path / "eng", name="Torn")
    eng.save_entry("customers", {"customer_id": "hub", "name": "Hub", "kind": "internal"})
    customers = eng.table("customers")  # one read transaction...
    eng.save_entry("customers", {"customer_id": "k0", "name": "K", "kind": "internal"})
    eng.save_entry("service_links", {"provider_id": "hub", "customer_id": "k0", "service": "s"})
    links = eng.table("service_links")  # ...and another
    assert set(links["customer_id"]) - set(customers["customer_id"]) == {"k0"}
    with eng.reading() as con:
        tables = eng.read_tables(["customers", "service_links"], con=con)
        eng_other = Engagement.open(eng.path)
        eng_other.save_entry("customers", {"customer_id": "k1", "name": "K1", "kind": "internal"})
        eng_other.save_entry(
            "service_links", {"provider_id": "hub", "customer_id": "k1", "service": "s"}
        )
        later = eng.table("service_links", con=con)  # same transaction: the old snapshot
    assert set(later["customer_id"]) == set(tables["service_links"]["customer_id"]) == {"k0"}
    assert "k1" in set(eng.service_links["customer_id"])
