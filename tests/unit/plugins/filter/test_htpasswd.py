"""zotops.zot.htpasswd / htpasswd_changes: bcrypt only, and no rehash of a password that still verifies."""
import bcrypt
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.zotops.zot.plugins.filter.htpasswd import (
    FilterModule, htpasswd, htpasswd_changes, htpasswd_problems, parse_htpasswd)


def entries(content):
    return dict(parse_htpasswd(content))


def test_new_file_has_bcrypt_hashes_zot_accepts():
    content = htpasswd("", [{"name": "admin", "password": "s3cret"}, {"name": "ci", "password": "other"}], rounds=4)
    hashes = entries(content)
    assert list(hashes) == ["admin", "ci"]
    assert hashes["admin"].startswith("$2b$04$")
    assert bcrypt.checkpw(b"s3cret", hashes["admin"].encode())
    assert bcrypt.checkpw(b"other", hashes["ci"].encode())
    assert content.endswith("\n")


def test_unchanged_password_keeps_its_hash_so_the_file_is_identical():
    users = [{"name": "admin", "password": "s3cret"}, {"name": "ci", "password": "other"}]
    first = htpasswd("", users, rounds=4)
    assert htpasswd(first, users, rounds=4) == first
    assert htpasswd_changes(first, users) == {"added": [], "updated": [], "removed": [], "unchanged": ["admin", "ci"]}


def test_changed_password_is_rehashed_and_others_kept():
    first = htpasswd("", [{"name": "admin", "password": "a"}, {"name": "ci", "password": "b"}], rounds=4)
    users = [{"name": "admin", "password": "a"}, {"name": "ci", "password": "new"}]
    second = htpasswd(first, users, rounds=4)
    assert entries(second)["admin"] == entries(first)["admin"]
    assert bcrypt.checkpw(b"new", entries(second)["ci"].encode())
    assert htpasswd_changes(first, users)["updated"] == ["ci"]


def test_hash_made_by_apache_htpasswd_is_kept():
    # `htpasswd -bBn alice wonderland` writes $2y$ hashes.
    existing = "alice:" + bcrypt.hashpw(b"wonderland", bcrypt.gensalt(4)).decode().replace("$2b$", "$2y$", 1) + "\n"
    assert htpasswd(existing, [{"name": "alice", "password": "wonderland"}], rounds=4) == existing


def test_non_bcrypt_entry_is_replaced():
    existing = "alice:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n"
    new = entries(htpasswd(existing, [{"name": "alice", "password": "password"}], rounds=4))
    assert new["alice"].startswith("$2b$")


def test_exclusive_removes_undeclared_users_and_non_exclusive_keeps_them():
    existing = htpasswd("", [{"name": "old", "password": "x"}, {"name": "ci", "password": "y"}], rounds=4)
    users = [{"name": "ci", "password": "y"}]
    assert list(entries(htpasswd(existing, users, rounds=4))) == ["ci"]
    assert htpasswd_changes(existing, users)["removed"] == ["old"]
    kept = entries(htpasswd(existing, users, rounds=4, exclusive=False))
    assert list(kept) == ["old", "ci"] and kept["old"] == entries(existing)["old"]


def test_state_absent_and_password_hash():
    existing = htpasswd("", [{"name": "gone", "password": "x"}], rounds=4)
    given = bcrypt.hashpw(b"pre", bcrypt.gensalt(4)).decode()
    content = htpasswd(existing, [{"name": "gone", "state": "absent"}, {"name": "pre", "password_hash": given}],
                       exclusive=False)
    assert entries(content) == {"pre": given}


def test_dict_form_and_empty():
    assert list(entries(htpasswd("", {"a": "1", "b": "2"}, rounds=4))) == ["a", "b"]
    assert htpasswd("a:$2b$04$abc\n", [], rounds=4) == ""


@pytest.mark.parametrize("users, message", [
    ([{"password": "x"}], "zot_htpasswd_users[0].name must be a non-empty string"),
    ([{"name": "a:b", "password": "x"}], "may not contain ':'"),
    ([{"name": "a", "password": "x"}, {"name": "a", "password": "y"}], "declared more than once"),
    ([{"name": "a"}], "needs 'password' or 'password_hash'"),
    ([{"name": "a", "password": ""}], "must be a non-empty string"),
    ([{"name": "a", "password": "x" * 73}], "longer than bcrypt's 72 bytes"),
    ([{"name": "a", "password_hash": "{SHA}abc"}], "must be a bcrypt hash"),
    ([{"name": "a", "password": "x", "state": "gone"}], "state must be 'present' or 'absent'"),
    ("admin", "must be a list"),
])
def test_bad_input_names_the_variable(users, message):
    with pytest.raises(AnsibleFilterError, match="zot_htpasswd_users") as err:
        htpasswd("", users, rounds=4)
    assert message in str(err.value)


def test_rounds_are_checked():
    with pytest.raises(AnsibleFilterError, match="zot_htpasswd_bcrypt_rounds must be between 4 and 31"):
        htpasswd("", [{"name": "a", "password": "b"}], rounds=3)


@pytest.mark.parametrize("users, rounds, message", [
    ([{"name": "ci", "password": ""}], 12,
     "zot_htpasswd_users[0].password (user 'ci') must be a non-empty string of at most 72 bytes"),
    ([{"name": "c:i", "password": "pw-Secret-1"}], 12, "zot_htpasswd_users[0].name 'c:i' may not contain ':'"),
    ([{"name": "ci", "password": "pw-Secret-1"}, {"name": "ci", "password": "pw-Secret-2"}], 12,
     "zot_htpasswd_users[1].name 'ci' is declared more than once"),
    ([{"name": "ci", "password": "pw-Secret-1"}], 40, "zot_htpasswd_bcrypt_rounds must be between 4 and 31"),
    ([{"name": "ci", "password": "pw-Secret-1"}], "many", "zot_htpasswd_bcrypt_rounds must be an integer"),
])
def test_problems_name_variable_entry_and_rule_never_the_password(users, rounds, message):
    problems = htpasswd_problems(users, rounds)
    assert len(problems) == 1 and message in problems[0], problems
    assert "pw-Secret" not in problems[0]


def test_no_problems_for_a_good_declaration():
    assert htpasswd_problems([{"name": "ci", "password": "x"}], 12) == []


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"htpasswd", "htpasswd_changes", "htpasswd_problems"}


@pytest.mark.parametrize("exclusive", [True, False])
def test_changes_read_from_the_new_file_are_the_declarations(monkeypatch, exclusive):
    """Given the new file, the changes come from comparing the two files: no password is checked again."""
    existing = htpasswd("", [{"name": "old", "password": "x"}, {"name": "ci", "password": "y"},
                             {"name": "admin", "password": "a"}], rounds=4)
    users = [{"name": "ci", "password": "y"}, {"name": "admin", "password": "changed"},
             {"name": "new", "password": "n"}, {"name": "old", "state": "absent"}]
    new = htpasswd(existing, users, rounds=4, exclusive=exclusive)
    expected = htpasswd_changes(existing, users, exclusive=exclusive)
    monkeypatch.setattr(bcrypt, "checkpw", lambda *_args: pytest.fail("a password was checked again"))
    assert htpasswd_changes(existing, None, new=new) == expected
    assert expected["removed"] == ["old"] and expected["updated"] == ["admin"] and expected["added"] == ["new"]
