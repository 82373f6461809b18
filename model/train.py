"""The sample model: an RBF-kernel SVM on scikit-learn's bundled 8x8 handwritten digits.

Self-scored (the default) or, when modelrun runs it for a benchmark ($BENCHMARK set), in predict
mode: it trains on the benchmark's training split and writes predictions for the test split's
images only ($OUTPUT_DIR/predictions.csv); the benchmark's evaluator scores them.

Picks C and gamma by cross-validation on the training split, refits the best pair, scores it
on a held-out split it never saw, and writes $OUTPUT_DIR/score.json as modelrun's model
contract asks (README.md). The data ships inside scikit-learn: nothing is downloaded, as the
sandbox has no network. Hyper-parameters come from the environment (see PARAMS).
"""
import json
import os
import sys
import time

# name: (default, parser, what a valid value is). Parsers raise ValueError on a bad value.
PARAMS = {
    "SEED": ("42", int, "a whole number"),
    "TEST_SIZE": ("0.25", lambda v: _between(float(v), 0.05, 0.95), "a fraction between 0.05 and 0.95"),
    "CV_FOLDS": ("5", lambda v: _between(int(v), 2, 20), "a whole number from 2 to 20"),
    "SVM_C": ("1,10,100", lambda v: _list(v, float), "comma-separated positive numbers"),
    "SVM_GAMMA": ("scale,0.01,0.1", lambda v: _list(v, _gamma), "comma-separated positive numbers or 'scale'"),
}

STARTED = time.perf_counter()


def _between(x, lo, hi):
    if not lo <= x <= hi:
        raise ValueError
    return x


def _gamma(v):
    return v if v == "scale" else float(v)


def _list(v, parse):
    items = [parse(s.strip()) for s in v.split(",") if s.strip()]
    if not items or any(isinstance(x, float) and not x > 0 for x in items):
        raise ValueError
    return items


def log(message):
    print(f"[{time.perf_counter() - STARTED:7.2f}s] {message}", flush=True)


def read_params(env):
    params, problems = {}, []
    for name, (default, parse, valid) in PARAMS.items():
        raw = env.get(name) or default
        try:
            params[name] = parse(raw)
        except ValueError:
            problems.append(f"{name}={raw!r} must be {valid}")
    if problems:
        print("bad hyper-parameters: " + "; ".join(problems), file=sys.stderr)
        sys.exit(2)
    return params


def train(p):
    # Imported here so the time they take is logged, not hidden before the first line.
    from sklearn.datasets import load_digits
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score
    from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
    from sklearn.svm import SVC

    log("scikit-learn loaded")
    x, y = load_digits(return_X_y=True)
    x = x / 16.0  # pixel intensities are 0..16
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=p["TEST_SIZE"], random_state=p["SEED"], stratify=y)
    log(f"digits: {len(x)} images of 8x8 pixels, {len(x_train)} to train on, {len(x_test)} held out")

    folds = StratifiedKFold(n_splits=p["CV_FOLDS"], shuffle=True, random_state=p["SEED"])
    grid = [(c, g) for c in p["SVM_C"] for g in p["SVM_GAMMA"]]
    train_started = time.perf_counter()
    best = None
    for i, (c, gamma) in enumerate(grid, 1):
        scores = cross_val_score(SVC(C=c, gamma=gamma), x_train, y_train, cv=folds)
        log(f"[{i}/{len(grid)}] C={c:g} gamma={gamma}: cross-validated accuracy {scores.mean():.4f} ± {scores.std():.4f}")
        if best is None or scores.mean() > best[0]:
            best = (scores.mean(), c, gamma)
    cv_accuracy, c, gamma = best
    model = SVC(C=c, gamma=gamma).fit(x_train, y_train)
    train_seconds = time.perf_counter() - train_started
    log(f"best C={c:g} gamma={gamma}; refitted on the training split ({train_seconds:.2f} s in all)")

    eval_started = time.perf_counter()
    predicted = model.predict(x_test)
    eval_seconds = time.perf_counter() - eval_started
    accuracy = accuracy_score(y_test, predicted)
    metrics = {
        "accuracy": accuracy,
        "f1_macro": f1_score(y_test, predicted, average="macro"),
        "precision_macro": precision_score(y_test, predicted, average="macro"),
        "recall_macro": recall_score(y_test, predicted, average="macro"),
        "cv_accuracy": cv_accuracy,
        "train_seconds": train_seconds,
        "eval_seconds": eval_seconds,
        "n_train": len(x_train),
        "n_test": len(x_test),
        "n_support_vectors": int(model.n_support_.sum()),
        "best_svm_c": c,
        "best_svm_gamma": float(model._gamma),  # the number 'scale' resolved to
    }
    log(f"held-out accuracy {accuracy:.4f}, macro F1 {metrics['f1_macro']:.4f}")
    return accuracy, metrics


def write_score(out_dir, score, metrics):
    # allow_nan=False: the contract wants finite numbers, so fail here rather than at the worker.
    body = json.dumps({"score": float(score), "metrics": {k: float(v) for k, v in metrics.items()}},
                      allow_nan=False, indent=2)
    path = os.path.join(out_dir, "score.json")
    partial = path + ".partial"
    try:
        with open(partial, "w", encoding="utf-8") as f:
            f.write(body + "\n")
        os.replace(partial, path)  # whole or absent, never half-written
    except OSError as err:
        print(f"cannot write {path}: {err} (running as uid {os.getuid()}; "
              f"the image must create {out_dir} owned by that user)", file=sys.stderr)
        sys.exit(1)
    log(f"wrote {path}")


def predict(p, out_dir):
    """Predict mode: the benchmark's training split in, predictions for its test images out. Never a score."""
    from sklearn.svm import SVC
    import digits_split

    x, y, train, test = digits_split.load()
    log(f"benchmark {os.environ['BENCHMARK']}: training on {len(train)} images, predicting {len(test)}")
    c, gamma = p["SVM_C"][-1 if len(p["SVM_C"]) > 1 else 0], p["SVM_GAMMA"][0]
    model = SVC(C=c, gamma=gamma).fit(x[train], y[train])
    predicted = model.predict(x[test])
    path = os.path.join(out_dir, "predictions.csv")
    with open(path + ".partial", "w", encoding="utf-8") as f:
        f.write("index,label\n")
        f.writelines(f"{i},{int(label)}\n" for i, label in zip(test, predicted))
    os.replace(path + ".partial", path)
    log(f"wrote {path}: {len(test)} predictions (C={c:g}, gamma={gamma})")


def main():
    params = read_params(os.environ)
    out_dir = os.environ.get("OUTPUT_DIR") or "/output"
    log(f"model {os.environ.get('MODEL_NAME', '(unnamed)')}, run {os.environ.get('RUN_ID', '(none)')}, "
        f"hyper-parameters {json.dumps(params)}")
    if os.environ.get("BENCHMARK"):
        predict(params, out_dir)
        return
    score, metrics = train(params)
    metrics["total_seconds"] = time.perf_counter() - STARTED
    write_score(out_dir, score, metrics)


if __name__ == "__main__":
    main()
