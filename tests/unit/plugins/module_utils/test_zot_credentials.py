"""zot_credentials: the one way credentials files zot reads are written."""
from ansible_collections.zotops.zot.plugins.module_utils.zot_credentials import credentials_text


def test_credentials_text_is_sorted_indented_and_ends_with_a_newline():
    assert credentials_text({"clientsecret": "s", "clientid": "zot"}) == \
        '{\n    "clientid": "zot",\n    "clientsecret": "s"\n}\n'
    assert credentials_text("as is") == "as is"
