"""Values read once per request, forgotten after a commit."""
from app.core.memo import RequestMemo
from app.extensions import db


def test_a_value_is_read_once_per_request_and_again_after_a_commit(app):
    memo, reads = RequestMemo("test_counter"), []

    def read():
        reads.append(1)
        return len(reads)

    assert memo.get("k", read) == 1 and memo.get("k", read) == 2  # outside a request: nothing kept
    with app.test_request_context("/"):
        assert memo.get("k", read) == 3 and memo.get("k", read) == 3 and memo.get("other", read) == 4
        db.session.commit()
        assert memo.get("k", read) == 5
