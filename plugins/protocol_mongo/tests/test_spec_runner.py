"""MongoDB's unified-format CRUD spec files through the runner (a few of them; the whole subset is a tool run)."""

from __future__ import annotations

import pytest
from helios_protocol_mongo import spec_runner

FOLDER = spec_runner.DEFAULT_CORPUS / "source" / "crud" / "tests" / "unified"
FILES = ["insertMany", "findOneAndUpdate"]

pytestmark = pytest.mark.skipif(not FOLDER.is_dir(), reason="needs ../shared/corpora/mongodb-specifications "
                                                           "(set HELIOS_MONGO_SPECS)")


@pytest.mark.parametrize("name", FILES)
def test_unified_crud_file_passes(mongo_uri, name):
    score = spec_runner.run_file(mongo_uri, FOLDER / f"{name}.json")
    assert score.passed > 0 and not score.failed, score.failed


def test_runner_sees_a_wrong_result(mongo_uri):
    spec = spec_runner._load(FOLDER / "insertOne.json")
    test = dict(spec["tests"][0])
    test["outcome"] = [dict(test["outcome"][0], documents=[{"_id": "not what the server holds"}])]
    with pytest.raises(spec_runner.Mismatch):
        spec_runner.run_test(mongo_uri, spec, test)
