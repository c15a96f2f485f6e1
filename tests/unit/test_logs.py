"""callsim.logs: reading logs (callsim, column mapping, anonymous-bank), bad logs, calls_to_log."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import callsim
from callsim.config import scenario_from_dict
from callsim.errors import ConfigError
from callsim.logs import CallLog, LogError, calls_to_log, read_log, write_log

BANK = Path(__file__).resolve().parents[3] / "shared" / "data" / "anonymous_bank" / \
    "anonymous_bank_1999_02.tsv"
if not BANK.is_file():
    BANK = Path("/work/shared/data/anonymous_bank/anonymous_bank_1999_02.tsv")


def _tidy() -> pd.DataFrame:
    return pd.DataFrame({
        "call_id": [1, 2, 3, 4],
        "day": ["2024-01-01", "2024-01-01", "2024-01-02", "2024-01-02"],
        "arrival": [3600.0, 3700.5, 86390.0, 500.0],
        "ivr_time": [10.0, 5.0, 8.0, 3.0],
        "queue_entry": [3610.0, 3705.5, 86398.0, np.nan],
        "wait": [0.0, 40.0, 30.0, np.nan],
        "outcome": ["answered", "abandoned", "answered", "ivr_hangup"],
        "handle_time": [120.0, np.nan, 60.0, np.nan],
        "agent": ["ann", "", "bob", ""],
        "call_type": ["A", "A", "B", "A"],
    })


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_tidy_log_round_trip(tmp_path: Path, suffix: str) -> None:
    pytest.importorskip("pyarrow")
    src = tmp_path / f"in{suffix}"
    df = _tidy()
    df["day"] = pd.to_datetime(df["day"])
    write_log(df, src)
    log = read_log(src)
    assert isinstance(log, CallLog) and log.format == "callsim"
    assert list(log.calls["outcome"]) == ["answered", "abandoned", "answered", "ivr_hangup"]
    assert log.calls["queue_entry"].iloc[2] == pytest.approx(86398.0)
    assert log.calls["day"].dtype == "datetime64[ns]"
    assert log.calls["agent"].tolist() == ["ann", "", "bob", ""]
    assert np.isnan(log.calls["wait"].iloc[3])
    assert log.summary().loc["all", "all"] == 4


def _export(tmp_path: Path, rows: list[str]) -> Path:
    p = tmp_path / "export.csv"
    header = "id;date;start;queued;left;answered_at;ended;result;skill;agent"
    p.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return p


MAP = {
    "delimiter": ";",
    "columns": {"call_id": "id", "day": "date", "arrival": "start", "queue_entry": "queued",
                "queue_exit": "left", "service_start": "answered_at", "service_end": "ended",
                "outcome": "result", "call_type": "skill", "agent": "agent"},
    "date_format": "%d.%m.%Y",
    "outcomes": {"ANS": "answered", "ABN": "abandoned", "TEST": "drop"},
}


def test_column_mapping_reads_any_export(tmp_path: Path) -> None:
    p = _export(tmp_path, [
        "1;03.01.2024;09:00:00;09:00:10;09:00:40;09:00:40;09:03:40;ANS;sales;eve",
        # crosses midnight
        "2;03.01.2024;23:59:50;23:59:55;00:00:25;00:00:25;00:01:25;ANS;sales;eve",
        "3;03.01.2024;10:00:00;10:00:05;10:00:45;;;ABN;support;",
        "4;03.01.2024;10:00:00;10:00:05;;;;TEST;support;",
    ])
    mp = tmp_path / "map.yaml"
    import yaml

    mp.write_text(yaml.safe_dump(MAP), encoding="utf-8")
    log = read_log(p, columns=mp)
    c = log.calls
    assert log.dropped == {"outcome TEST": 1}
    assert c["wait"].tolist() == [30.0, 30.0, 40.0]
    assert c["handle_time"].tolist()[:2] == [180.0, 60.0]
    assert c["ivr_time"].tolist() == [10.0, 5.0, 5.0]
    assert c["queue_entry"].iloc[1] == pytest.approx(86395.0)
    assert c["outcome"].tolist() == ["answered", "answered", "abandoned"]
    assert c["day"].iloc[0] == pd.Timestamp("2024-01-03")
    # an abandoned call with no way to know its wait is a clear error
    with pytest.raises(LogError, match="wait"):
        read_log(p, columns={**MAP, "outcomes": {"ANS": "answered", "ABN": "abandoned",
                                                 "TEST": "abandoned"}})


@pytest.mark.parametrize(("rows", "match"), [
    (["1;03.01.2024;9h00;09:00:10;09:00:40;09:00:40;09:03:40;ANS;sales;eve"],
     r"row 1, column 'start': '9h00' is not a clock time"),
    (["1;03.01.2024;09:00:00;09:00:10;09:00:40;09:00:40;09:03:40;ANS;sales;eve",
      "2;31.02.2024;09:00:00;09:00:10;09:00:40;09:00:40;09:03:40;ANS;sales;eve"],
     r"row 2, column 'date': '31.02.2024' is not a date"),
    (["1;03.01.2024;09:00:00;09:00:10;09:00:40;09:00:40;09:00:30;ANS;sales;eve"],
     r"row 1, column 'handle_time': -10 is negative"),
    (["1;03.01.2024;09:00:00;09:00:10;09:00:40;09:00:40;09:03:40;HUH;sales;eve"],
     r"row 1, column 'result': outcome 'HUH' is not in the mapping's outcomes"),
    (["1;03.01.2024;09:00:00;09:00:10;09:00:40;09:00:40;09:03:40;TEST;sales;eve",
      "2;03.01.2024;09:00:00;09:00:10;09:00:40;09:00:40;09:03:40;ANS;sales;eve",
      "3;03.01.2024;9:61;09:00:10;09:00:40;09:00:40;09:03:40;ANS;sales;eve"],
     r"row 3, column 'start'"),  # the file's row, though row 1 was dropped
])
def test_bad_export_gives_one_message_naming_row_and_column(
        tmp_path: Path, rows: list[str], match: str) -> None:
    p = _export(tmp_path, rows)
    with pytest.raises(LogError, match=match) as exc:
        read_log(p, columns=MAP)
    assert str(p) in str(exc.value)
    assert "\n" not in str(exc.value)
    assert isinstance(exc.value, ConfigError)


def test_bad_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(LogError, match="empty"):
        read_log(empty)
    header = tmp_path / "header.csv"
    header.write_text(",".join(_tidy().columns) + "\n", encoding="utf-8")
    with pytest.raises(LogError, match="no calls"):
        read_log(header)
    missing = tmp_path / "missing.csv"
    _tidy().drop(columns=["wait", "outcome"]).to_csv(missing, index=False)
    with pytest.raises(LogError, match=r"missing column.*wait, outcome"):
        read_log(missing)
    neg = tmp_path / "neg.csv"
    df = _tidy()
    df.loc[2, "wait"] = -3.0
    df.to_csv(neg, index=False)
    with pytest.raises(LogError, match=r"row 3, column 'wait': -3 is negative"):
        read_log(neg)
    with pytest.raises(LogError, match="not found"):
        read_log(tmp_path / "nope.csv")
    with pytest.raises(LogError, match="unknown log format 'acme'; allowed: callsim, "
                                       "anonymous-bank"):
        read_log(neg, format="acme")
    with pytest.raises(LogError, match="columns: arrival, outcome required"):
        read_log(neg, columns={"columns": {"day": "d"}})
    with pytest.raises(LogError, match="unknown field"):
        read_log(neg, columns={"columns": {"arrival": "a", "outcome": "o", "day": "d",
                                           "colour": "c"}})


BANK_HEADER = ("vru+line\tcall_id\tcustomer_id\tpriority\ttype\tdate\tvru_entry\tvru_exit\t"
               "vru_time\tq_start\tq_exit\tq_time\toutcome\tser_start\tser_exit\tser_time\t"
               "server")
BANK_ROWS = [
    # answered without queueing
    "AA01\t1\t0\t0\tPS\t990201\t7:02:47\t7:02:56\t9\t0:00:00\t0:00:00\t0\tAGENT\t7:02:55\t"
    "7:05:41\t166\tDORIT",
    # queued, abandoned
    "AA01\t2\t0\t2\tPS\t990201\t8:09:16\t8:09:22\t6\t8:09:22\t8:09:27\t5\tHANG\t0:00:00\t"
    "0:00:00\t0\tNO_SERVER",
    # phantom
    "AA01\t3\t0\t0\tPS\t990201\t8:10:00\t8:10:05\t5\t8:10:05\t8:11:00\t55\tPHANTOM\t0:00:00\t"
    "0:00:00\t0\tNO_SERVER",
    # IVR hang-up
    "AA01\t4\t0\t0\tNW\t990201\t9:00:00\t9:00:20\t20\t0:00:00\t0:00:00\t0\tHANG\t0:00:00\t"
    "0:00:00\t0\tNO_SERVER",
    # negative vru time, queued and answered
    "AA01\t5\t0\t2\tPS\t990207\t9:48:14\t9:47:17\t-57\t9:47:17\t9:50:11\t174\tAGENT\t"
    "9:50:11\t9:51:28\t77\tKAZAV",
    # crosses midnight
    "AA01\t6\t0\t1\tPS\t990210\t23:59:56\t23:59:56\t0\t0:00:02\t0:00:29\t27\tAGENT\t0:00:29\t"
    "0:00:58\t29\tBENSION",
    # answered by NO_SERVER
    "AA01\t7\t0\t0\tTT\t990210\t12:00:00\t12:00:10\t10\t0:00:00\t0:00:00\t0\tAGENT\t12:00:10\t"
    "12:00:15\t5\tNO_SERVER",
]


def test_bank_population_rules(tmp_path: Path) -> None:
    p = tmp_path / "bank.tsv"
    p.write_text("\r\n".join([BANK_HEADER, *BANK_ROWS]) + "\r\n", encoding="utf-8")
    log = read_log(p, format="anonymous-bank")
    c = log.calls.set_index("call_id")
    assert log.dropped == {"phantom": 1}
    assert c.loc[1, "outcome"] == "answered" and c.loc[1, "wait"] == 0
    assert c.loc[1, "queue_entry"] == 7 * 3600 + 2 * 60 + 56
    assert c.loc[2, "outcome"] == "abandoned" and c.loc[2, "wait"] == 5
    assert c.loc[4, "outcome"] == "ivr_hangup" and np.isnan(c.loc[4, "wait"])
    assert c.loc[5, "arrival"] == 9 * 3600 + 47 * 60 + 17 and c.loc[5, "ivr_time"] == 0
    assert c.loc[6, "queue_entry"] == 86400 + 2 and c.loc[6, "wait"] == 27
    assert c.loc[7, "agent"] == "" and c.loc[7, "handle_time"] == 5
    assert log.flags["negative_ivr_time"] == 1
    assert log.flags["answered_no_server"] == 1
    assert log.flags["crossed_midnight"] == 1
    assert c.loc[5, "priority"] == 2


def test_bank_bad_row_names_row_and_column(tmp_path: Path) -> None:
    p = tmp_path / "bank.tsv"
    bad = BANK_ROWS[1].replace("8:09:22\t8:09:27", "8:09:22\t8:09:27").replace("\t5\tHANG",
                                                                               "\tfive\tHANG")
    p.write_text("\n".join([BANK_HEADER, BANK_ROWS[0], bad]) + "\n", encoding="utf-8")
    with pytest.raises(LogError, match=r"row 2, column 'q_time': 'five' is not a number"):
        read_log(p, format="anonymous-bank")
    p.write_text("a\tb\n1\t2\n", encoding="utf-8")
    with pytest.raises(LogError, match="missing column"):
        read_log(p, format="anonymous-bank")


@pytest.mark.skipif(not BANK.is_file(), reason="shared Anonymous Bank log absent "
                    "(../shared/data/anonymous_bank/): bank-format test skipped")
def test_bank_file_counts_are_stable() -> None:
    log = read_log(BANK, format="anonymous-bank")
    assert log.dropped == {"phantom": 278}
    assert log.flags == {"negative_ivr_time": 23, "answered_no_service_record": 50,
                         "answered_no_server": 491, "abandoned_with_service": 97,
                         "crossed_midnight": 4}
    counts = log.calls["outcome"].value_counts().to_dict()
    assert counts == {"answered": 27162, "abandoned": 3963, "ivr_hangup": 1941}
    assert len(log.days) == 28
    assert log.calls["agent"].nunique() == 25  # 24 named agents and ""


def test_calls_to_log_from_records(tmp_path: Path) -> None:
    sc = scenario_from_dict({
        "horizon": {"start": "22:00", "length": "4h"},
        "call_types": {"A": {"handle_time": {"dist": "exponential", "mean": 100},
                             "patience": {"dist": "exponential", "mean": 60}}},
        "arrivals": {"by_call_type": {"A": {"rate": 60}}},
        "pools": {"p": {"skills": ["A"], "staffing": {"agents": 1}}},
        "queue": {"capacity": 3},
    })
    r = callsim.simulate(sc, seed=2, record_calls=True)
    assert r.calls is not None
    log = calls_to_log(r.calls, start="22:00", first_day="2024-03-01",
                       path=tmp_path / "log.csv")
    c = log.calls
    assert len(c) == len(r.calls)
    assert set(c["day"]) == {pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-02")}
    assert c["arrival"].between(0, 86400).all()
    first = c.loc[c["day"] == pd.Timestamp("2024-03-01"), "arrival"]
    assert first.min() >= 22 * 3600
    kpis = r.kpis
    assert (c["outcome"] == "answered").sum() == kpis["answered"]
    assert (c["outcome"] == "blocked").sum() == kpis["blocked"] > 0
    ans = r.calls["outcome"] == "answered"
    assert np.allclose(c.loc[ans.to_numpy(), "handle_time"],
                       (r.calls["ended_at"] - r.calls["answered_at"])[ans])
    back = read_log(tmp_path / "log.csv")
    assert np.allclose(back.calls["wait"].fillna(-1), c["wait"].fillna(-1), atol=1e-4)
