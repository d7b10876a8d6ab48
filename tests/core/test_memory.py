"""A worker freezes what it holds at start and again once warm, after a response has gone."""
import gc

import pytest
from flask import Flask

from app.core.memory import freeze, freeze_when_warm


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_freeze_moves_what_is_alive_out_of_the_collectors_passes(unfrozen):
    kept = [[] for _ in range(1000)]
    freeze()
    assert gc.get_freeze_count() >= len(kept)
    walked = {id(o) for o in gc.get_objects()}  # what a full collection walks
    assert gc.is_tracked(kept[0]) and not any(id(x) in walked for x in kept)


def test_a_worker_freezes_again_after_the_requests_named_once_each(unfrozen):
    app = Flask(__name__)
    app.get("/")(lambda: "ok")
    freeze_when_warm(app, after=(2, 4))
    client = app.test_client()
    counts = []
    for _ in range(5):
        client.get("/").close()
        counts.append(gc.get_freeze_count())
        gc.unfreeze()
    assert [n > 0 for n in counts] == [False, True, False, True, False]
