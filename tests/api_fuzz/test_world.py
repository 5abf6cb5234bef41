"""The fuzzer's aiming: fields that name objects get real ids at any depth, nothing else moves."""

from hypothesis import given
from hypothesis import strategies as st

from tests.api_fuzz.world import OBJECT_FIELDS, World

IDS = {collection: index + 1000 for index, collection in enumerate(set(OBJECT_FIELDS.values()))}
WORLD = World(tokens={}, ids=IDS)

keys = st.sampled_from([*OBJECT_FIELDS, "name", "quantity", "lines", "ship_to", "note"])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=4),
    max_leaves=20,
)


def _pairs(value, path=()):
    """(path, key, value) of every dict entry, at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield path, key, item
            yield from _pairs(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _pairs(item, (*path, index))


@given(json_values)
def test_every_field_naming_an_object_gets_a_real_id_and_the_rest_stays(value):
    aimed = WORLD.aimed(value)
    for _, key, item in _pairs(aimed):
        if key in OBJECT_FIELDS:
            assert item == IDS[OBJECT_FIELDS[key]]
    untouched = [(p, k, v) for p, k, v in _pairs(value) if k not in OBJECT_FIELDS]
    untouched = [(p, k, v) for p, k, v in untouched if not any(s in OBJECT_FIELDS for s in p)]
    after = {(p, k): v for p, k, v in _pairs(aimed)}
    for path, key, item in untouched:
        if not isinstance(item, dict | list):
            assert after[(path, key)] == item


def test_a_field_whose_collection_the_world_lacks_is_left_alone():
    world = World(tokens={}, ids={"orders": 7})
    assert world.aimed({"order": "x", "machine": "y", "lines": [{"order_id": 0}]}) == {
        "order": 7,
        "machine": "y",
        "lines": [{"order_id": 7}],
    }
