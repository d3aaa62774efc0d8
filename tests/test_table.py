import pytest

from isolearn.table import Table


def test_table_formats_and_exposes_raw_values():
    t = Table(["name", "params", "acc"], [["a", 1234567, 0.98765], ["b<c", 2, 123456.7]], title="T")
    assert t.column("params") == [1234567, 2]
    text = str(t)
    assert "1,234,567" in text and "0.9877" in text and "123,457" in text and text.startswith("T")
    assert "b&lt;c" in t._repr_html_() and "<caption>T</caption>" in t._repr_html_()
    with pytest.raises(ValueError, match="no column"):
        t.column("loss")
    with pytest.raises(ValueError, match="columns"):
        Table(["a"], [[1, 2]])


def test_large_floats_print_as_whole_numbers_not_exponents():
    table = Table(["x"], [[11140.5], [2404.3], [0.98333], [1.5e7]])
    text = str(table)
    assert "11,140" in text and "2,404" in text and "0.9833" in text and "15,000,000" in text
    assert "e+" not in text


def test_markdown_renders_a_github_table():
    table = Table(["op", "ms"], [["a|b", 1.5], ["c", 1234], ["d", "n/a"]], title="T")
    lines = table.markdown().splitlines()
    assert lines[0] == "**T**" and lines[2] == "| op | ms |" and lines[3] == "| --- | ---: |"
    assert lines[4] == "| a\\|b | 1.5 |" and lines[5] == "| c | 1,234 |"
    assert lines[6] == "| d | n/a |"


def test_html_marks_numeric_columns_and_leaves_the_look_to_css():
    """The website's CSS (book/_static/isolearn.css) styles .isolearn-table: no inline styles,
    which would beat it (and dark mode); numeric columns are right-aligned by class."""
    html = Table(["model", "params", "ms"], [["vit", 1200, 2.5], ["mixer", 800, "n/a"]])._repr_html_()
    assert 'class="isolearn-table"' in html and "style=" not in html
    assert '<th>model</th><th class="isolearn-num">params</th><th class="isolearn-num">ms</th>' in html
    assert '<td>vit</td><td class="isolearn-num">1,200</td>' in html
