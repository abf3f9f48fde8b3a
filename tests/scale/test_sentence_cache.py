"""The sentence cache at archive scale: when it fills up it is emptied, and labels never change."""
from cxrlabel.pipeline import Labeler, LabelerConfig


def test_a_full_cache_is_emptied_without_losing_the_batch_being_labelled():
    config = LabelerConfig(parser="none", sections="all")
    small, uncached = Labeler(config, cache_limit=3), Labeler(config, cache_limit=0)
    first = ["No pneumothorax. Small left effusion.", "Possible pneumonia."]
    # "No pneumothorax." is a cache hit in the same batch as new sentences that overflow the cache
    second = ["No pneumothorax. Mild cardiomegaly. Edema. Fracture of the left rib."]
    for batch in (first, second, first):
        assert [r.labels for r in small.label(batch)] == [r.labels for r in uncached.label(batch)]
    assert small.cache_hits > 0 and len(small._cache) <= 3
