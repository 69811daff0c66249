"""Make ``ansible_collections.zotops.zot`` importable from this checkout for every test."""
import sys

from integration.harness.ansible import collection_tree

sys.path.insert(0, str(collection_tree()))
