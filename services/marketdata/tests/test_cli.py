"""The import command: files into the store, validated; list shows what is stored."""

import io
import json

from botmoon_marketdata import cli
from botmoon_marketdata.adapters.store import CandleStore
from botmoon_marketdata.domain.candles import Source
from botmoon_marketdata.domain.symbols import normalize

T0 = 1_735_689_600_000
ROWS = [[T0 + i * 3_600_000, 100.0 + i, 101.0 + i, 99.0 + i, 100.5 + i, 2.0] for i in range(48)]


def test_import_freqtrade_json_by_its_name_then_list(tmp_path):
    path = tmp_path / "ETH_USDT_USDT-1h-futures.json"
    path.write_text(json.dumps(ROWS))
    store_path = tmp_path / "s.sqlite"
    out = io.StringIO()
    assert cli.main(["--store", str(store_path), "import", str(path)], out) == 0
    said = out.getvalue()
    assert "48 candles of ETH/USDT:USDT CRYPTO_FUTURE 1h on binance, 2025-01-01 00:00 .. 2025-01-02 23:00" in said
    store = CandleStore(store_path)
    got = store.read_range(normalize("ETH/USDT:USDT"), "1h", 0, 2**62)
    assert len(got.candles) == 48 and got.source() is Source.STORE
    store.close()
    listing = io.StringIO()
    assert cli.main(["--store", str(store_path), "list"], listing) == 0
    assert "ETH/USDT:USDT" in listing.getvalue() and "48" in listing.getvalue()


def test_import_with_explicit_names_and_a_broken_file(tmp_path, capsys):
    good = tmp_path / "anything.csv"
    good.write_text("time,open,high,low,close,volume\n" + "\n".join(",".join(map(str, r)) for r in ROWS))
    store = str(tmp_path / "s.sqlite")
    assert cli.main(["--store", store, "import", str(good), "--symbol", "SOL-USDT", "--timeframe", "1h"],
                    io.StringIO()) == 0
    assert normalize("SOL-USDT").exchange == "okx"
    bad_rows = [list(r) for r in ROWS]
    bad_rows[5][2] = 50.0  # high below open and close
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bad_rows))
    assert cli.main(["--store", store, "import", str(bad), "--symbol", "BTCUSDT", "--timeframe", "1h"],
                    io.StringIO()) == 1
    assert "high below max(open, close): 1 rows, e.g. row 5" in capsys.readouterr().err
    assert cli.main(["--store", store, "import", str(good)], io.StringIO()) == 1
    assert "give --symbol and --timeframe" in capsys.readouterr().err
