"""Reference solutions of multinomial L2 logistic regression from scikit-learn, for logistic-regression.test.ts.

Run with Debian's scikit-learn (apt-get install python3-sklearn): /usr/bin/python3 make-logistic-reference.py
It writes logistic-regression-reference.json next to this script. Inputs are rounded to float32 so the
TypeScript side sees exactly the same numbers. scikit-learn's lbfgs stops on a relative objective change
(scipy's ftol 2.2e-9) even with tol 1e-12, so its solution is then polished with scipy's L-BFGS-B on the same
objective (ftol 0, gtol 1e-13) to reach the optimum to machine precision; the polish changes W by < 1e-3 (the optimum is unique: the problem is strictly convex in W).
"""
import json
import os

import numpy as np
import scipy.optimize
import sklearn
from sklearn.linear_model import LogisticRegression


def case(name, rng, rows_per_class, classes, dims, spread, C, test_rows):
    centers = rng.normal(0.0, spread, size=(classes, dims))
    labels = np.repeat(np.arange(classes), rows_per_class)
    features = centers[labels] + rng.normal(0.0, 1.0, size=(labels.size, dims))
    features = features.astype(np.float32).astype(np.float64)
    test_labels = rng.integers(0, classes, size=test_rows)
    test = (centers[test_labels] + rng.normal(0.0, 1.0, size=(test_rows, dims))).astype(np.float32).astype(np.float64)
    kwargs = dict(C=C, solver="lbfgs", tol=1e-12, max_iter=100000)
    # multi_class is the default (multinomial for lbfgs) in recent versions and deprecated there.
    if tuple(int(part) for part in sklearn.__version__.split(".")[:2]) < (1, 5):
        kwargs["multi_class"] = "multinomial"
    model = LogisticRegression(**kwargs).fit(features, labels)
    onehot = np.eye(classes)[labels]

    def objective_and_gradient(theta):
        coef = theta[: classes * dims].reshape(classes, dims)
        intercept = theta[classes * dims:]
        logits = features @ coef.T + intercept
        log_probabilities = logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)
        value = C * -(log_probabilities * onehot).sum() + 0.5 * (coef ** 2).sum()
        residual = C * (np.exp(log_probabilities) - onehot)
        gradient = np.concatenate([(residual.T @ features + coef).ravel(), residual.sum(axis=0)])
        return value, gradient

    start = np.concatenate([model.coef_.ravel(), model.intercept_])
    polished = scipy.optimize.minimize(objective_and_gradient, start, jac=True, method="L-BFGS-B",
                                       options={"ftol": 0.0, "gtol": 1e-13, "maxiter": 100000, "maxcor": 20})
    centred = lambda theta: np.concatenate([theta[: classes * dims], theta[classes * dims:] - theta[classes * dims:].mean()])
    # The intercept is defined up to a common shift (softmax invariance), so compare it centred.
    change = np.abs(centred(polished.x) - centred(start)).max()
    assert change < 1e-3, f"scikit-learn's solution was {change} away from the optimum"
    coef = polished.x[: classes * dims].reshape(classes, dims)
    intercept = polished.x[classes * dims:]
    objective = objective_and_gradient(polished.x)[0]
    predictions = np.argmax(test @ coef.T + intercept, axis=1)
    assert (predictions == model.predict(test)).all()
    return {
        "name": name,
        "params": {"C": C, "classes": classes, "dims": dims},
        "features": {"shape": list(features.shape), "data": features.ravel().tolist()},
        "labels": labels.tolist(),
        "testFeatures": {"shape": list(test.shape), "data": test.ravel().tolist()},
        "coef": {"shape": list(coef.shape), "data": coef.ravel().tolist()},
        "intercept": intercept.tolist(),
        "objective": float(objective),
        "testPredictions": predictions.tolist(),
    }


rng = np.random.default_rng(20240601)
cases = [
    case("3-classes-5-dims-C1", rng, rows_per_class=10, classes=3, dims=5, spread=1.0, C=1.0, test_rows=40),
    case("10-classes-16-dims-2-shots-C1", rng, rows_per_class=2, classes=10, dims=16, spread=0.5, C=1.0, test_rows=60),
    case("4-classes-8-dims-C0.1", rng, rows_per_class=6, classes=4, dims=8, spread=2.0, C=0.1, test_rows=30),
]
output = {
    "description": "scikit-learn LogisticRegression(lbfgs, multinomial) optima; made by make-logistic-reference.py",
    "sklearn": sklearn.__version__,
    "scipy": scipy.__version__,
    "cases": cases,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "logistic-regression-reference.json")
with open(path, "w") as handle:
    json.dump(output, handle)
print("wrote", path, [c["objective"] for c in cases])
