"""The runner harness: frames, JSON conversion of results, capped output and running code."""

import datetime as dt
import decimal
import io
import json
import math
import sys

import numpy as np
import pandas as pd
import pytest

from botmoon_runner import protocol
from botmoon_runner.capture import CappedText
from botmoon_runner.execute import USER_FILENAME, run_code
from botmoon_runner.jsonable import to_jsonable

# --- protocol ---------------------------------------------------------------------------------------------------


class Trickle(io.RawIOBase):
    """A stream that hands out at most `step` bytes per read, like a pipe under load."""

    def __init__(self, data: bytes, step: int = 1):
        self._data = data
        self._pos = 0
        self._step = step

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self._step if n < 0 else min(n, self._step)
        chunk = self._data[self._pos:self._pos + n]
        self._pos += len(chunk)
        return chunk


MESSAGE = {"op": "exec", "code": "print('héllo ✓')\nresult = 42", "max_output": 1024, "nested": {"a": [1, 2.5, None]}}


def test_encode_is_a_big_endian_length_then_compact_json():
    frame = protocol.encode({"a": 1})
    assert frame == b"\x00\x00\x00\x07" + b'{"a":1}'


def test_encode_counts_utf8_bytes_in_the_length():
    frame = protocol.encode({"s": "é"})
    body = '{"s":"é"}'.encode()
    assert frame[:4] == len(body).to_bytes(4, "big")
    assert frame[4:] == body
    assert json.loads(frame[4:]) == {"s": "é"}


def test_encode_appends_binary_and_names_its_length():
    frame = protocol.encode({"a": 1}, b"\x00\x01")
    assert protocol.read(io.BytesIO(frame)) == {"a": 1, "_binary": 2, "_payload": b"\x00\x01"}


def test_encode_refuses_nan():
    with pytest.raises(ValueError, match="Out of range float"):
        protocol.encode({"x": float("nan")})


def test_encode_then_read_round_trips():
    stream = io.BytesIO(protocol.encode(MESSAGE))
    assert protocol.read(stream) == MESSAGE
    assert protocol.read(stream) is None


def test_read_returns_frames_in_order_then_none_at_clean_end():
    second = {"op": "exec", "code": "x = 2"}
    stream = io.BytesIO(protocol.encode(MESSAGE) + protocol.encode(second))
    assert protocol.read(stream) == MESSAGE
    assert protocol.read(stream) == second
    assert protocol.read(stream) is None


def test_read_assembles_a_frame_from_one_byte_reads():
    assert protocol.read(Trickle(protocol.encode(MESSAGE), step=1)) == MESSAGE


def test_read_of_empty_stream_is_none():
    assert protocol.read(io.BytesIO(b"")) is None


@pytest.mark.parametrize("cut", [1, 3])
def test_eof_inside_the_header_is_an_error(cut):
    with pytest.raises(EOFError, match="inside a frame"):
        protocol.read(io.BytesIO(protocol.encode(MESSAGE)[:cut]))


@pytest.mark.parametrize("missing", [1, 10])
def test_eof_inside_the_body_is_an_error(missing):
    with pytest.raises(EOFError, match="inside a frame"):
        protocol.read(io.BytesIO(protocol.encode(MESSAGE)[:-missing]))


def test_eof_right_after_the_header_is_an_error():
    with pytest.raises(EOFError):
        protocol.read(io.BytesIO(protocol.encode(MESSAGE)[:4]))


def test_read_refuses_a_frame_over_the_limit_before_reading_it():
    frame = protocol.encode({"big": "x" * 100})
    stream = io.BytesIO(frame)
    with pytest.raises(ValueError, match="exceeds 50"):
        protocol.read(stream, max_bytes=50)
    assert stream.tell() == 4  # only the header was consumed


def assemble(data: bytes, max_head: int = 1 << 20, max_binary: int = 1 << 20, step: int = 0):
    frame = protocol.FrameAssembler(max_head, max_binary)
    for i in range(0, len(data), step or len(data) or 1):
        frame.feed(data[i:i + (step or len(data))])
    return frame


@pytest.mark.parametrize("step", [0, 1, 3])
def test_assembler_builds_one_frame_from_any_chunking(step):
    frame = assemble(protocol.encode(MESSAGE, b"xyz"), step=step)
    assert frame.done
    assert frame.head == MESSAGE
    assert frame.binary == b"xyz"


def test_assembler_is_not_done_inside_a_frame():
    data = protocol.encode(MESSAGE, b"xyz")
    for cut in (0, 3, 4, len(data) - 4, len(data) - 1):
        assert not assemble(data[:cut]).done


def test_assembler_refuses_a_head_over_its_limit_from_the_length_alone():
    frame = protocol.FrameAssembler(max_head=100, max_binary=0)
    with pytest.raises(protocol.ProtocolError, match="reply head of 62914560 bytes exceeds the limit of 100"):
        frame.feed((60 << 20).to_bytes(4, "big") + b"{")
    assert frame.received == 5


def test_assembler_refuses_a_value_over_its_limit_before_its_bytes():
    with pytest.raises(protocol.ProtocolError, match="value of 5 bytes exceeds the limit of 4"):
        assemble(protocol.encode({"a": 1}, b"12345")[:-5], max_binary=4)  # the head alone: no value byte sent


@pytest.mark.parametrize(("body", "reason"), [
    (b"[1, 2]", "must be a JSON object, not list"), (b"{nope", "is not JSON"), (b"\xff\xfe", "is not JSON"),
    (b'{"_binary": -1}', "must be a byte count"), (b'{"_binary": "7"}', "must be a byte count"),
    (b'{"_binary": true}', "must be a byte count"), (b"[" * 100_000, "is not JSON"),
])
def test_assembler_refuses_a_head_that_is_not_an_object(body, reason):
    with pytest.raises(protocol.ProtocolError, match=reason):
        assemble(len(body).to_bytes(4, "big") + body)


def test_assembler_refuses_an_empty_head():
    with pytest.raises(protocol.ProtocolError, match="empty"):
        assemble(b"\x00\x00\x00\x00")


def test_assembler_refuses_a_byte_after_the_frame():
    data = protocol.encode({"a": 1}) + protocol.encode({"forged": True})
    with pytest.raises(protocol.ProtocolError, match="after the reply frame"):
        assemble(data)
    with pytest.raises(protocol.ProtocolError, match="after the reply frame"):
        assemble(data, step=1)


def test_head_limit_covers_four_capped_texts():
    assert protocol.head_limit(1000) == 4000 + 65536


def test_ready_line_is_one_line():
    assert protocol.READY_LINE.endswith(b"\n")
    assert protocol.READY_LINE.count(b"\n") == 1


# --- to_jsonable ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    (None, None), (True, True), (False, False), ("text", "text"), (7, 7), (1.5, 1.5),
    (float("nan"), None), (float("inf"), None), (float("-inf"), None),
])
def test_plain_values(value, expected):
    converted = to_jsonable(value)
    assert converted == expected
    assert type(converted) is type(expected)


@pytest.mark.parametrize(("value", "expected"), [
    (np.int64(5), 5), (np.int32(-3), -3), (np.uint8(200), 200), (np.float64(2.5), 2.5), (np.float32(0.5), 0.5),
    (np.bool_(True), True), (np.float64("nan"), None), (np.float32("inf"), None),
])
def test_numpy_scalars_become_python_values(value, expected):
    converted = to_jsonable(value)
    assert converted == expected
    assert isinstance(converted, type(expected))  # np.float64 is itself a float, so it may pass through
    assert json.dumps(converted, allow_nan=False) == json.dumps(expected)


def test_numpy_arrays_become_lists_with_nan_as_none():
    assert to_jsonable(np.array([1.0, np.nan, np.inf, -2.0])) == [1.0, None, None, -2.0]
    assert to_jsonable(np.arange(6).reshape(2, 3)) == [[0, 1, 2], [3, 4, 5]]
    assert to_jsonable(np.array([], dtype=float)) == []


def test_numpy_datetime64_becomes_iso_text():
    assert to_jsonable(np.datetime64("2024-03-01")) == "2024-03-01"


def test_dataframe_becomes_records_with_nan_as_none_and_iso_dates():
    frame = pd.DataFrame({
        "close": [101.5, np.nan],
        "volume": [10, 20],
        "at": [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02 09:30")],
    })
    assert to_jsonable(frame) == [
        {"close": 101.5, "volume": 10, "at": "2024-01-01T00:00:00.000"},
        {"close": None, "volume": 20, "at": "2024-01-02T09:30:00.000"},
    ]


def test_series_becomes_a_mapping_of_its_index():
    assert to_jsonable(pd.Series([1.5, np.nan], index=["fast", "slow"])) == {"fast": 1.5, "slow": None}


def test_series_with_a_datetime_index_uses_iso_keys():
    series = pd.Series([1, 2], index=pd.to_datetime(["2024-01-01", "2024-01-02"]))
    assert to_jsonable(series) == {"2024-01-01T00:00:00.000": 1, "2024-01-02T00:00:00.000": 2}


def test_pandas_index_becomes_a_list():
    assert to_jsonable(pd.Index([3, 1, 2])) == [3, 1, 2]


def test_pandas_timestamp_becomes_iso_text():
    assert to_jsonable(pd.Timestamp("2024-05-06 07:08:09", tz="UTC")) == "2024-05-06T07:08:09+00:00"
    assert to_jsonable(pd.Timestamp("2024-05-06")) == "2024-05-06T00:00:00"


def test_datetimes_dates_and_times_become_iso_text():
    assert to_jsonable(dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)) == "2024-01-02T03:04:05+00:00"
    assert to_jsonable(dt.date(2024, 1, 2)) == "2024-01-02"
    assert to_jsonable(dt.time(3, 4, 5)) == "03:04:05"


def test_decimals_become_floats_and_non_finite_decimals_none():
    assert to_jsonable(decimal.Decimal("1.25")) == 1.25
    assert to_jsonable(decimal.Decimal("NaN")) is None
    assert to_jsonable(decimal.Decimal("Infinity")) is None


def test_sets_tuples_and_frozensets_become_lists():
    assert sorted(to_jsonable({3, 1, 2})) == [1, 2, 3]
    assert to_jsonable(frozenset({"a"})) == ["a"]
    assert to_jsonable((1, "b", None)) == [1, "b", None]


def test_nested_structures_are_converted_all_the_way_down():
    value = {
        "signals": [{"side": "buy", "price": np.float64(101.25), "at": pd.Timestamp("2024-01-01")}],
        "levels": (np.array([1.0, np.nan]), {decimal.Decimal("2.5")}),
        7: {"inner": {np.int64(1), None}},
    }
    converted = to_jsonable(value)
    json.dumps(converted, allow_nan=False)  # the whole thing is valid JSON
    inner = converted["7"].pop("inner")  # a set: its order is not fixed
    assert sorted(inner, key=str) == [1, None]
    assert type(inner[0]) in {int, type(None)}
    assert converted == {
        "signals": [{"side": "buy", "price": 101.25, "at": "2024-01-01T00:00:00"}],
        "levels": [[1.0, None], [2.5]],
        "7": {},
    }


def test_dict_keys_become_strings():
    assert to_jsonable({1: "a", None: "b", 2.5: "c"}) == {"1": "a", "None": "b", "2.5": "c"}


def test_unknown_objects_become_their_repr():
    class Opaque:
        def __repr__(self) -> str:
            return "<Opaque 7>"

    assert to_jsonable(Opaque()) == "<Opaque 7>"
    assert to_jsonable([Opaque(), b"raw", 1 + 2j]) == ["<Opaque 7>", "b'raw'", "(1+2j)"]


def test_very_deep_nesting_stops_with_a_repr():
    value: list = []
    for _ in range(60):
        value = [value]
    converted = to_jsonable(value)
    depth = 0
    while isinstance(converted, list):
        converted = converted[0]
        depth += 1
    assert isinstance(converted, str)
    assert converted.startswith("[[")
    assert depth == 51


# --- CappedText -------------------------------------------------------------------------------------------------

def test_capped_text_keeps_everything_under_the_cap():
    sink = CappedText(100)
    assert sink.write("hello ") == 6
    sink.write("world")
    assert sink.getvalue() == "hello world"
    assert sink.truncated is False
    assert sink.writable() is True


def test_capped_text_keeps_exactly_the_cap():
    sink = CappedText(5)
    sink.write("12345")
    assert (sink.getvalue(), sink.truncated) == ("12345", False)
    sink.write("")
    assert sink.truncated is False
    sink.write("6")
    assert (sink.getvalue(), sink.truncated) == ("12345", True)


def test_capped_text_cuts_a_write_at_the_cap():
    sink = CappedText(8)
    sink.write("abc")
    sink.write("defghijk")
    assert sink.getvalue() == "abcdefgh"
    assert sink.truncated is True
    sink.write("more")
    assert sink.getvalue() == "abcdefgh"


def test_capped_text_counts_bytes_of_multibyte_characters():
    sink = CappedText(6)
    sink.write("ééé")  # 6 bytes
    assert (sink.getvalue(), sink.truncated) == ("ééé", False)
    sink.write("é")
    assert (sink.getvalue(), sink.truncated) == ("ééé", True)


def test_capped_text_never_splits_a_multibyte_character():
    sink = CappedText(5)
    sink.write("a€€")  # 1 + 3 + 3 bytes: the second euro sign does not fit whole
    assert sink.getvalue() == "a€"
    assert sink.truncated is True


@pytest.mark.parametrize("cap", range(0, 14))
def test_capped_text_stays_within_its_byte_cap(cap):
    sink = CappedText(cap)
    for piece in ["a", "é", "€", "😀", "text", "日本語"]:
        sink.write(piece)
    kept = sink.getvalue().encode("utf-8")
    assert len(kept) <= cap
    assert "aé€😀text日本語".encode().startswith(kept)
    assert sink.truncated is True


def test_capped_text_refuses_bytes():
    with pytest.raises(TypeError, match="must be str, not bytes"):
        CappedText(10).write(b"raw")


def test_capped_text_works_as_a_print_target():
    sink = CappedText(1000)
    print("a", 1, sep="-", file=sink)
    assert sink.getvalue() == "a-1\n"


# --- run_code ---------------------------------------------------------------------------------------------------

def test_seed_example_prints_and_returns_its_result():
    reply = run_code("print('Hello from AI!')\nresult = 42", 1 << 20)
    assert reply["status"] == "completed"
    assert reply["stdout"] == "Hello from AI!\n"
    assert reply["stderr"] == ""
    assert json.loads(reply["result_json"]) == 42
    assert reply["error"] is None
    assert reply["truncated"] is False
    assert isinstance(reply["execution_time_ms"], float)
    assert reply["execution_time_ms"] >= 0
    json.dumps(reply, allow_nan=False)


def test_run_code_leaves_the_test_process_streams_alone():
    before = (sys.stdout, sys.stderr)
    run_code("import sys\nprint('out')\nprint('err', file=sys.stderr)\nraise SystemExit(1)", 1000)
    assert (sys.stdout, sys.stderr) == before


def test_stderr_is_captured_separately():
    reply = run_code("import sys\nprint('to err', file=sys.stderr)\nprint('to out')", 1000)
    assert reply["stdout"] == "to out\n"
    assert reply["stderr"] == "to err\n"


def test_exception_is_described_with_the_user_line():
    code = "x = 1\ny = 2\n\nraise ValueError('bad value')\nz = 3\n"
    reply = run_code(code, 1000)
    assert reply["status"] == "failed"
    error = reply["error"]
    assert error["type"] == "ValueError"
    assert error["message"] == "bad value"
    assert error["line"] == 4
    assert f'File "{USER_FILENAME}", line 4, in <module>' in error["traceback"]
    assert "raise ValueError('bad value')" in error["traceback"]
    assert error["traceback"].startswith("Traceback (most recent call last):\n")
    assert error["traceback"].endswith("ValueError: bad value\n")


def test_exception_in_a_function_reports_the_innermost_user_line_and_the_call_chain():
    code = "def ratio(a, b):\n    return a / b\n\n\nvalue = ratio(1, 0)\n"
    error = run_code(code, 1000)["error"]
    assert (error["type"], error["message"], error["line"]) == ("ZeroDivisionError", "division by zero", 2)
    assert "line 5, in <module>" in error["traceback"]
    assert "line 2, in ratio" in error["traceback"]
    assert error["traceback"].index("line 5") < error["traceback"].index("line 2")


def test_traceback_shows_only_user_frames():
    code = "import json\n\njson.loads('{not json')\n"
    error = run_code(code, 1000)["error"]
    assert error["type"] == "JSONDecodeError"
    assert error["line"] == 3
    assert "json/decoder.py" not in error["traceback"]
    assert "execute.py" not in error["traceback"]
    assert "line 3, in <module>" in error["traceback"]


def test_syntax_error_reports_its_line():
    reply = run_code("x = 1\ny = (\n", 1000)
    assert reply["status"] == "failed"
    assert reply["error"]["type"] == "SyntaxError"
    assert reply["error"]["line"] == 2
    assert "was never closed" in reply["error"]["message"]


def test_output_before_the_exception_is_kept():
    reply = run_code("print('step 1')\nraise RuntimeError('stop')\n", 1000)
    assert reply["stdout"] == "step 1\n"
    assert reply["error"]["type"] == "RuntimeError"


@pytest.mark.parametrize(("code", "message", "line"), [
    ("import sys\nprint('bye')\nsys.exit(3)\n", "3", 3),
    ("x = 1\nraise SystemExit('done')\n", "done", 2),
    ("x = 1\nexit()\n", "None", 2),
    ("x = 1\nraise KeyboardInterrupt\n", "", 2),
])
def test_exit_from_user_code_does_not_escape(code, message, line):
    reply = run_code(code, 1000)
    assert reply["status"] == "failed"
    assert reply["error"]["message"] == message
    assert reply["error"]["line"] == line
    assert reply["error"]["type"] in {"SystemExit", "KeyboardInterrupt"}


def test_no_result_variable_means_no_result_key():
    reply = run_code("x = 41 + 1\nprint(x)", 1000)
    assert reply["status"] == "completed"
    assert "result_json" not in reply
    assert reply["stdout"] == "42\n"


def test_result_none_is_reported_as_null():
    reply = run_code("result = None", 1000)
    assert "result_json" in reply
    assert reply["result_json"] == "null"


def test_result_set_before_an_exception_is_still_returned():
    reply = run_code("result = {'partial': True}\nraise ValueError('late')\n", 1000)
    assert reply["status"] == "failed"
    assert json.loads(reply["result_json"]) == {"partial": True}


def test_numpy_and_pandas_results_are_json():
    code = (
        "import numpy as np\nimport pandas as pd\n"
        "frame = pd.DataFrame({'close': [1.0, np.nan]})\n"
        "result = {'mean': np.float64(1.0), 'frame': frame, 'arr': np.array([np.nan, 2.0])}\n"
    )
    reply = run_code(code, 1 << 20)
    assert json.loads(reply["result_json"]) == {"mean": 1.0, "frame": [{"close": 1.0}, {"close": None}],
                                                "arr": [None, 2.0]}
    json.dumps(reply, allow_nan=False)


def test_nan_result_becomes_null():
    reply = run_code("result = float('nan')", 1000)
    assert reply["result_json"] == "null"
    json.dumps(reply, allow_nan=False)


def test_output_flood_is_truncated_at_the_cap():
    reply = run_code("for i in range(100_000):\n    print('line', i)\nresult = 'finished'\n", 1000)
    assert reply["status"] == "completed"
    assert reply["truncated"] is True
    assert len(reply["stdout"].encode("utf-8")) == 1000
    assert reply["stdout"].startswith("line 0\nline 1\n")
    assert json.loads(reply["result_json"]) == "finished"


def test_stderr_flood_is_truncated_too():
    reply = run_code("import sys\nsys.stderr.write('é' * 5000)\n", 101)
    assert reply["truncated"] is True
    assert reply["stderr"] == "é" * 50
    assert reply["stdout"] == ""


def test_result_whose_json_is_over_the_cap_is_omitted():
    reply = run_code("result = ['x' * 100] * 100", 1000)
    assert reply["status"] == "completed"
    assert reply["truncated"] is True
    assert json.loads(reply["result_json"]) == "<result omitted: its JSON exceeds 1000 bytes>"


def test_each_run_gets_a_fresh_namespace():
    assert json.loads(run_code("secret = 1\nresult = 'set'", 1000)["result_json"]) == "set"
    reply = run_code("result = secret", 1000)
    assert reply["error"]["type"] == "NameError"
    assert "result_json" not in reply


def test_user_code_runs_as_main():
    assert json.loads(run_code("result = __name__", 1000)["result_json"]) == "__main__"


def test_execution_time_is_measured():
    reply = run_code("import time\ntime.sleep(0.05)\n", 1000)
    assert reply["execution_time_ms"] >= 45
    assert not math.isnan(reply["execution_time_ms"])
