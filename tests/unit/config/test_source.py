from correlator.config.source import LineList, LineMap, parse_yaml


def test_every_key_and_item_knows_its_line() -> None:
    text = "a: 1\nb:\n  - x\n  - y: 2\n    z: [3, 4]\n"
    data, problems = parse_yaml(text, "f.yaml")
    assert problems == []
    assert isinstance(data, LineMap) and data == {"a": 1, "b": ["x", {"y": 2, "z": [3, 4]}]}
    assert data.key_lines == {"a": 1, "b": 2}
    items = data["b"]
    assert isinstance(items, LineList) and items.item_lines == [3, 4]
    assert items[1].key_lines == {"y": 4, "z": 5}
    assert items[1].line_of("missing") == 4  # falls back to where the mapping starts
    assert items[1]["z"].item_lines == [5, 5]


def test_merge_keys_resolve() -> None:
    data, problems = parse_yaml("base: &b {p: 1}\nrule:\n  <<: *b\n  q: 2\n", "f.yaml")
    assert problems == [] and data["rule"] == {"p": 1, "q": 2}


def test_duplicate_and_non_string_keys_are_problems_first_wins() -> None:
    data, problems = parse_yaml("a: 1\n3: x\na: 2\n", "f.yaml")
    assert data == {"a": 1}
    assert [str(p) for p in problems] == [
        "f.yaml:2: keys must be strings, got 3",
        "f.yaml:3: duplicate key 'a' (first at line 1)",
    ]


def test_syntax_error_has_its_line() -> None:
    data, problems = parse_yaml("a: 1\nb: [1, 2\nc: 3\n", "f.yaml")
    assert data is None
    [problem] = problems
    assert problem.line == 3
    assert problem.message.startswith("YAML syntax error: while parsing a flow sequence started at line 2")


def test_empty_document_is_none_without_problems() -> None:
    assert parse_yaml("# only a comment\n", "f.yaml") == (None, [])
