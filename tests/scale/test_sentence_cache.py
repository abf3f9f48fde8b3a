"""The sentence cache at archive scale: bounded, the sentences met most survive when it turns over, and
labels never change."""
import pickle

from cxrlabel.en.labeler import LabelerConfig, Pipeline, sentence_key

CONFIG = LabelerConfig(parser="none", sections="all")


def test_a_full_cache_turns_over_without_losing_the_batch_being_labelled():
    small, uncached = Pipeline(CONFIG, cache_limit=4), Pipeline(CONFIG, cache_limit=0)
    first = ["No pneumothorax. Small left effusion.", "Possible pneumonia."]
    # "No pneumothorax." is a cache hit in the same batch as new sentences that overflow the cache
    second = ["No pneumothorax. Mild cardiomegaly. Edema. Fracture of the left rib."]
    for batch in (first, second, first):
        assert [r.labels for r in small.label(batch)] == [r.labels for r in uncached.label(batch)]
    assert small.cache_hits > 0 and len(small.memory) <= 4


def test_a_sentence_met_in_every_batch_stays_cached_while_the_rest_turns_over():
    labeler = Pipeline(CONFIG, cache_limit=4)
    for i in range(6):
        labeler.label([f"No pneumothorax. Effusion measures {i} cm. Opacity in zone {i}."])
        assert len(labeler.memory) <= 4
    assert (labeler.cache_hits, labeler.cache_misses) == (5, 13)  # only the first "No pneumothorax." is a miss


def test_analyses_learned_from_another_labeller_are_reused_and_give_the_same_labels():
    reports = ["No pneumothorax. Small left effusion.", "Possible pneumonia. No pneumothorax."]
    teacher, pupil = Pipeline(CONFIG), Pipeline(CONFIG)
    teacher.journal = {}
    taught = teacher.label(reports)
    assert set(teacher.journal) == set(map(sentence_key, ["No pneumothorax.", "Small left effusion.", "Possible pneumonia."]))
    pupil.learn(teacher.journal)
    assert [(r.labels, r.mentions) for r in pupil.label(reports)] == [(r.labels, r.mentions) for r in taught]
    assert (pupil.cache_hits, pupil.cache_misses) == (4, 0)
    pupil.journal = {}
    pupil.label(["No pneumothorax. Mild edema."])
    assert set(pupil.journal) == {sentence_key("Mild edema.")}  # only what it analysed itself


def test_learning_keeps_what_a_labeller_has_and_respects_its_bound():
    labeler = Pipeline(CONFIG, cache_limit=4)
    labeler.label(["No pneumothorax."])
    key = sentence_key("No pneumothorax.")
    mine = labeler.memory.get(key)
    labeler.learn({key: (("made", "up", 0, 1, 1.0, "x"),), sentence_key("Edema."): (), sentence_key("Effusion."): ()})
    assert labeler.memory.get(key) is mine and labeler.memory.get(sentence_key("Edema.")) == ()
    labeler.learn({sentence_key(f"Opacity {i}."): () for i in range(10)})
    assert len(labeler.memory) <= 10  # one batch of news may exceed half the bound, never more
    nothing = Pipeline(CONFIG, cache_limit=0)
    nothing.learn({sentence_key("Edema."): ()})
    assert len(nothing.memory) == 0


def test_equal_analyses_are_kept_once_however_many_sentences_hold_them():
    labeler = Pipeline(CONFIG)
    labeler.label(["No pneumothorax. Heart size is normal.", "No pneumothorax!  Heart size is normal!"])
    first, second = (labeler.memory.get(sentence_key(s)) for s in ("No pneumothorax.", "No pneumothorax!"))
    assert first == second and first is second and first[0] is second[0]
    learned = labeler.memory.get(sentence_key("Heart size is normal."))
    sent = pickle.loads(pickle.dumps(learned))  # an equal analysis, as it arrives from another process
    labeler.learn({sentence_key("Heart size is normal?"): sent})
    assert labeler.memory.get(sentence_key("Heart size is normal?")) is learned
