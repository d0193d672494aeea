import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synthgan.errors import DataError
from synthgan.ingest import read_table
from synthgan.schema import ColumnKind


def write(path, text):
    path.write_text(text)
    return path


def test_csv_is_cleaned(tmp_path):
    p = write(tmp_path / "t.csv", "age,work ,day\n 39, State-gov ,2024-01-02\n50,?,2024-02-03\n 41 , NA,null\n")
    t = read_table(p)
    assert list(t.data.columns) == ["age", "work", "day"]
    assert t.data["age"].tolist() == [39, 50, 41] and t.data["age"].dtype == "int64"
    assert t.data["work"].iloc[0] == "State-gov" and t.data["work"].isna().tolist() == [False, True, True]
    assert pd.api.types.is_datetime64_any_dtype(t.data["day"]) and t.data["day"].isna().sum() == 1
    assert t.schema["day"].kind is ColumnKind.DATETIME


def test_true_false_text_becomes_boolean(tmp_path):
    p = write(tmp_path / "b.csv", "a,b,c\nTrue, false,yes\nFalse,?,no\ntrue,TRUE,no\n")
    t = read_table(p)
    assert t.data["a"].dtype == bool and t.data["a"].tolist() == [True, False, True]
    assert str(t.data["b"].dtype) == "boolean" and t.data["b"].isna().tolist() == [False, True, False]
    assert t.schema["a"].kind is ColumnKind.BOOLEAN and t.data["c"].tolist() == ["yes", "no", "no"]


def test_custom_missing_markers(tmp_path):
    p = write(tmp_path / "t.csv", "a,b\n1,x\n-999,y\n3,z\n")
    t = read_table(p, missing_markers=["-999"])
    assert t.data["a"].isna().tolist() == [False, True, False]


def test_adult_real_mess(adult):
    assert len(adult) == 32561
    assert adult["workclass"].isna().sum() == 1836
    assert not adult["workclass"].dropna().str.startswith(" ").any()
    assert set(adult["income"].unique()) == {"<=50K", ">50K"}


def test_parquet_file_and_folder_of_parts(tmp_path, mixed):
    pq.write_table(pa.Table.from_pandas(mixed, preserve_index=False), tmp_path / "one.parquet")
    assert read_table(tmp_path / "one.parquet").data.shape == mixed.shape
    folder = tmp_path / "parts"
    folder.mkdir()
    for i, chunk in enumerate([mixed.iloc[:150], mixed.iloc[150:]]):
        pq.write_table(pa.Table.from_pandas(chunk, preserve_index=False), folder / f"part-{i}.parquet")
    t = read_table(folder, columns=["group", "count"])
    assert t.data.shape == (len(mixed), 2)


@pytest.mark.parametrize("content,match", [
    ("", "empty"),
    ("a,b\n", "header but no rows"),
    ("a,b,a\n1,2,3\n", r"duplicate column name\(s\) \['a'\]"),
    ("a,b\n1,?\n2,NA\n", "column 'b' is entirely null"),
    (b"\xff\xfe\x00bad", "UTF-8"),
])
def test_bad_csv_errors_name_file_and_problem(tmp_path, content, match):
    p = tmp_path / "bad.csv"
    p.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(DataError, match=match) as e:
        read_table(p)
    assert "bad.csv" in str(e.value)


def test_missing_file_absent_column_and_corrupt_parquet(tmp_path):
    with pytest.raises(DataError, match="nope.csv: file or folder not found"):
        read_table(tmp_path / "nope.csv")
    p = write(tmp_path / "t.csv", "a,b\n1,2\n")
    with pytest.raises(DataError, match=r"column\(s\) \['c'\] requested but absent"):
        read_table(p, columns=["a", "c"])
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"this is not parquet at all")
    with pytest.raises(DataError, match="bad.parquet: cannot be read as Parquet"):
        read_table(bad)
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    with pytest.raises(DataError, match="no .csv or .parquet parts"):
        read_table(empty_dir)


def test_duplicate_columns_in_parquet(tmp_path):
    table = pa.table([pa.array([1, 2]), pa.array([3, 4])], names=["x", "x"])
    pq.write_table(table, tmp_path / "dup.parquet")
    with pytest.raises(DataError, match=r"dup.parquet: duplicate column name\(s\) \['x'\]"):
        read_table(tmp_path / "dup.parquet")


def test_a_few_stray_words_in_a_numeric_column_are_an_error_not_a_category(tmp_path):
    import pytest

    from synthgan.errors import DataError
    path = tmp_path / "d.csv"
    path.write_text("x,y\n" + "".join(f"{i},a\n" for i in range(99)) + "abc,b\n")
    with pytest.raises(DataError, match=r"d.csv: column 'x' holds numbers except 1 value\(s\) \['abc'\]; mark them missing"):
        read_table(path)
    assert read_table(path, missing_markers=["abc"]).data["x"].isna().sum() == 1
    words = tmp_path / "w.csv"                       # a real text column with some numbers stays text
    words.write_text("x\n" + "".join(f"{i}\n" for i in range(50)) + "".join("word\n" for _ in range(50)))
    assert read_table(words).data["x"].dtype == object or str(read_table(words).data["x"].dtype) == "str"
