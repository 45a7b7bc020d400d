from pathlib import Path

from adapter.doc_tables import END, START, operations_table, with_operations_table
from nav_lookup_contracts.schema import all_schemas

ROOT = Path(__file__).parents[2]


def test_operations_table_is_current() -> None:
    readme = (ROOT / "docs" / "messages.md").read_text()
    assert START in readme and END in readme
    assert with_operations_table(readme) == readme, "run `make docs`"
    assert operations_table() in readme


def test_committed_schemas_are_current() -> None:
    import orjson

    for name, schema in all_schemas().items():
        path = ROOT / "contracts/nav_lookup_contracts/schemas" / name
        assert path.exists(), f"{name} missing: run `make docs`"
        assert orjson.loads(path.read_bytes()) == schema, f"{name} is stale: run `make docs`"


def test_committed_asyncapi_is_current() -> None:
    import json

    from adapter.asyncapi import asyncapi_document

    committed = json.loads((ROOT / "contracts/nav_lookup_contracts/asyncapi.json").read_text())
    assert committed == json.loads(json.dumps(asyncapi_document())), "run `make docs`"


def test_the_nav_apis_page_is_the_operations_and_feeds_tables() -> None:
    from adapter.doc_tables import NAV_APIS_PAGE, nav_apis_page

    assert (ROOT / NAV_APIS_PAGE).read_text() == nav_apis_page(), "run `make docs`"


def test_every_row_says_where_it_was_read_and_what_is_inferred() -> None:
    from adapter.doc_tables import nav_apis_page
    from nav_lookup_contracts.feeds import FEEDS
    from nav_lookup_contracts.operations import OPERATIONS

    page = nav_apis_page()
    for row in (*OPERATIONS, *FEEDS):
        assert row.source, f"{row.name}: no source"
        assert row.status == ("inferred" if row.inferred else "confirmed")
        (line,) = [line for line in page.splitlines() if line.startswith(f"| `{row.name}`")]
        assert row.source.replace("|", "\\|") in line and row.status in line
