import itertools

import numpy as np
import pytest

from cxrlabel.errors import UserError
from cxrlabel.zh import clara
from cxrlabel.zh.kmedoids_miner import ClauseKMedoids
from cxrlabel.zh.weighted_kmedoids import solve, weighted_silhouette


def _line(n=12, seed=0):
    x = np.sort(np.random.default_rng(seed).random(n))
    return np.abs(x[:, None] - x[None, :]).astype(np.float32)


def test_heavily_repeated_clause_becomes_medoid():
    # Without weights a middle clause is a medoid; with 1000 copies of an edge clause, that
    # edge clause must be. k=1 (solved exactly) and k=2 (FasterPAM on the scaled matrix).
    group = ["ab", "abc", "abcd", "abcde", "abcdef"]
    other = ["xyz", "xyzw", "xyzwv"]
    for k, items in ((1, group), (2, group + other)):
        plain = ClauseKMedoids(n_clusters=k).fit(items, [1] * len(items))
        heavy = ClauseKMedoids(n_clusters=k).fit(items, [1000] + [1] * (len(items) - 1))
        assert "ab" not in plain.cluster_centers_
        assert "ab" in heavy.cluster_centers_


def test_weighted_solution_matches_exhaustive_search_on_small_problem():
    dist = _line(10, seed=3)
    weights = np.array([50, 1, 1, 1, 1, 1, 1, 1, 1, 30], dtype=float)
    best = min(itertools.combinations(range(10), 2),
               key=lambda m: float(np.dot(weights, dist[:, list(m)].min(axis=1))))
    got = solve(dist.copy(), weights, 2)
    assert set(got) == set(best)


def test_solver_restores_the_matrix():
    dist = _line()
    before = dist.copy()
    solve(dist, np.arange(1, 13, dtype=float), 3)
    np.testing.assert_allclose(dist, before, rtol=1e-6)


def test_weighted_silhouette_equals_silhouette_of_expanded_data():
    dist = _line(8, seed=1).astype(np.float64)
    labels = np.array([0, 0, 0, 1, 1, 1, 2, 2])
    weights = np.array([3, 1, 2, 1, 4, 1, 2, 1])
    expanded = np.repeat(np.arange(8), weights)
    full = dist[np.ix_(expanded, expanded)]
    full_labels = labels[expanded]
    scores = []
    for i in range(len(expanded)):
        own = full_labels == full_labels[i]
        a = full[i, own].sum() / (own.sum() - 1)
        b = min(full[i, full_labels == c].mean() for c in set(full_labels) if c != full_labels[i])
        scores.append((b - a) / max(a, b))
    assert weighted_silhouette(dist.astype(np.float32), labels, weights) == pytest.approx(np.mean(scores), rel=1e-5)


def test_k_larger_than_distinct_clauses_is_a_user_error():
    with pytest.raises(UserError, match="only 3 distinct clauses"):
        ClauseKMedoids(n_clusters=5).fit(["a", "b", "c"])


def test_full_matrix_limit_asks_for_sample():
    items = [f"x{i}" for i in range(30)]
    with pytest.raises(UserError, match="add sample 5000"):
        ClauseKMedoids(n_clusters=2, full_matrix_limit=20).fit(items)
    fitted = ClauseKMedoids(n_clusters=2, full_matrix_limit=20, sample_size=10).fit(items)
    assert len(fitted.labels_) == 30 and fitted.n_clusters_ == 2


def test_stratified_sample_keeps_top_clauses_and_is_unbiased():
    weights = np.r_[np.full(5, 1000.0), np.ones(995)]
    index, sample_weights = clara.stratified_sample(weights, 100, np.random.default_rng(0))
    assert set(range(5)) <= set(index)
    assert sample_weights.sum() == pytest.approx(weights.sum())


def test_sampled_fit_is_close_to_full_fit(corpus, pre):
    reports, _, _ = corpus
    from cxrlabel.zh.mine import collect_clauses, encode

    clauses, _, _ = collect_clauses(reports["id"], reports["诊断"], pre)
    counts = clauses["normalized"].value_counts(sort=False)
    items = encode(counts.index.tolist(), [pre.tokens(u) for u in counts.index], "chars")
    full = ClauseKMedoids(n_clusters=8).fit(items, counts.to_numpy())
    sampled = ClauseKMedoids(n_clusters=8, sample_size=120, n_samples=5).fit(items, counts.to_numpy())
    # both are local optima, so sampling may even win; it must not be much worse
    assert sampled.inertia_ <= full.inertia_ * 1.15


def test_sklearn_extra_engine_gives_clear_error_when_missing():
    try:
        import sklearn_extra  # noqa: F401
    except Exception:
        with pytest.raises(UserError, match="scikit-learn-extra"):
            ClauseKMedoids(n_clusters=2, engine="sklearn-extra").fit(["a", "ab", "abc", "x"])
    else:
        fitted = ClauseKMedoids(n_clusters=2, engine="sklearn-extra").fit(["a", "ab", "abc", "x"])
        assert fitted.n_clusters_ == 2


def test_predict_assigns_to_nearest_medoid():
    model = ClauseKMedoids.from_centers(["心影增大", "胸腔积液"])
    assert model.predict(["心影稍大", "左侧胸腔积液"]).tolist() == [0, 1]


def test_plus_plus_start_reaches_the_build_start_loss():
    """The k-medoids++ start replaced BUILD for speed; FasterPAM from it must lose nothing that matters."""
    import kmedoids

    from cxrlabel.zh.weighted_kmedoids import plus_plus_init

    rng = np.random.default_rng(1)
    points = np.concatenate([rng.normal(c, 0.3, size=(60, 2)) for c in range(8)])
    dist = np.linalg.norm(points[:, None] - points[None], axis=2).astype(np.float32)
    scaled = dist * rng.integers(1, 50, size=len(points)).astype(np.float32)[:, None]
    ours = kmedoids.fasterpam(scaled, plus_plus_init(scaled, 8, 0), n_cpu=1)
    build = kmedoids.fasterpam(scaled, 8, init="build", n_cpu=1)
    assert ours.loss <= build.loss * 1.005
    assert len(set(plus_plus_init(scaled, 8, 0).tolist())) == 8


def test_symmetric_pairwise_matrix_equals_the_full_cross_product(monkeypatch):
    from cxrlabel.zh import distance
    from cxrlabel.zh.data_files import load_zh_data
    from cxrlabel.zh.known_findings import finding_guide

    monkeypatch.setattr(distance, "ROW_CHUNK", 7)  # several blocks, the last one short
    rng = np.random.default_rng(0)
    items = ["".join(rng.choice(list("心影增大肺纹理胸腔积液主动脉硬化"), size=rng.integers(1, 9))) for _ in range(40)]
    items = list(dict.fromkeys(items))
    metric = distance.Metric(finding_guide(load_zh_data()))
    assert np.array_equal(metric.pairwise(items), metric.cross(items, items))


def test_steered_distance_is_the_plain_matrix_masked_element_by_element():
    """The guide measures only the pairs it does not set to 1.0; every value must be the one of masking a
    full plain matrix: another known finding 1.0, the same finding half, an unknown clause plain."""
    from cxrlabel.zh import distance
    from cxrlabel.zh.data_files import load_zh_data
    from cxrlabel.zh.known_findings import finding_guide

    rng = np.random.default_rng(1)
    phrases = ["心影增大", "胸腔积液", "主动脉硬化", "肋骨骨折", "肺结节", "肺纹理增多", "纹理", "骨"]
    items = list(dict.fromkeys(
        "".join(rng.choice(list("左右上下叶少量明显")) for _ in range(rng.integers(0, 3))) + str(rng.choice(phrases))
        for _ in range(160)))  # 纹理 and 骨 alone are no known finding
    guide = finding_guide(load_zh_data())
    metric = distance.Metric(guide)
    found = guide.findings(items)
    assert (found < 0).any() and len(set(found[found >= 0])) >= 3
    rows, cols = items[:50], items[30:]
    a, b = guide.findings(rows)[:, None], guide.findings(cols)[None, :]
    expected = distance.Metric().cross(rows, cols)
    both = (a >= 0) & (b >= 0)
    expected[both & (a != b)] = 1.0
    expected[both & (a == b)] *= distance.FindingGuide.SAME_FACTOR
    assert np.array_equal(metric.cross(rows, cols), expected)
