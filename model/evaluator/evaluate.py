"""The digits benchmark's evaluator: scores a model's predictions against the hidden labels.

modelrun runs it after the model, with the model's output read-only at $PREDICTIONS_DIR and the
reference data (labels.csv, never shown to models) read-only at $REFERENCE_DIR; it writes
$OUTPUT_DIR/score.json. Predictions that break the format are rejected with exit code 3 (the
model's fault, bad_output) and the reason in $OUTPUT_DIR/message.txt, which the submitter sees;
any other failure is the evaluator's own (evaluator_failed).

The test split is scored in two parts, as a season's benchmark does: the test images sorted by
index, those at even positions (0, 2, 4, ...: 225 of the 450) are the **public** part, those at
odd positions the **private** part. score.json's top-level score and metrics are the public
part's; its `private` object holds the private part's. $OUTPUT_DIR/details.json holds what the
submitter may learn from, from the public part only: a per-class table (support, precision,
recall, F1) and up to 50 misclassified public images (index, true, predicted).

`evaluate.py --make-reference DIR` writes DIR/labels.csv, the test split's labels: how
`npm run model:build` fills the reference volume.
"""
import json
import os
import sys

REJECT = 3


def reject(why):
    """Exit 3, with the reason in $OUTPUT_DIR/message.txt: modelrun shows that file (1 KiB at most) to the submitter."""
    print(f"predictions rejected: {why}", file=sys.stderr)
    with open(os.path.join(os.environ.get("OUTPUT_DIR", "/output"), "message.txt"), "w", encoding="utf-8") as f:
        f.write(why[:1000])
    sys.exit(REJECT)


def read_csv(path, what):
    rows = {}
    with open(path, encoding="utf-8") as f:
        if f.readline().strip() != "index,label":
            raise ValueError(f"{what}: the first line must be 'index,label'")
        for n, line in enumerate(f, 2):
            parts = line.strip().split(",")
            if len(parts) != 2 or not all(p.strip().lstrip("-").isdigit() for p in parts):
                raise ValueError(f"{what}: line {n} is not 'index,label' with two whole numbers")
            index, label = int(parts[0]), int(parts[1])
            if index in rows:
                raise ValueError(f"{what}: image {index} appears twice")
            rows[index] = label
    return rows


def make_reference(folder):
    sys.path.insert(0, "/app")
    import digits_split

    _, y, _, test = digits_split.load()
    with open(os.path.join(folder, "labels.csv"), "w", encoding="utf-8") as f:
        f.write("index,label\n")
        f.writelines(f"{i},{int(y[i])}\n" for i in test)
    print(f"wrote {len(test)} hidden labels to {folder}/labels.csv")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--make-reference":
        return make_reference(sys.argv[2])
    labels = read_csv(os.path.join(os.environ["REFERENCE_DIR"], "labels.csv"), "labels.csv")
    path = os.path.join(os.environ["PREDICTIONS_DIR"], "predictions.csv")
    if not os.path.isfile(path):
        reject("no predictions.csv: the model must write $OUTPUT_DIR/predictions.csv")
    try:
        predicted = read_csv(path, "predictions.csv")
    except (ValueError, UnicodeDecodeError) as err:
        reject(str(err))
    missing, extra = labels.keys() - predicted.keys(), predicted.keys() - labels.keys()
    if missing or extra:
        reject(f"predictions.csv must cover exactly the {len(labels)} test images: {len(missing)} missing, {len(extra)} not in the test split")
    public, private = split(sorted(labels))
    public_metrics = score(labels, predicted, public)
    private_metrics = score(labels, predicted, private)
    out = os.environ["OUTPUT_DIR"]
    with open(os.path.join(out, "score.json"), "w", encoding="utf-8") as f:
        json.dump(
            {
                "score": public_metrics["accuracy"],
                "metrics": public_metrics,
                "private": {"score": private_metrics["accuracy"], "metrics": private_metrics},
            },
            f,
        )
    with open(os.path.join(out, "details.json"), "w", encoding="utf-8") as f:
        json.dump(details(labels, predicted, public), f)
    print(
        f"scored {len(public) + len(private)} predictions: public part {len(public)} images, accuracy {public_metrics['accuracy']:.4f};"
        f" private part {len(private)} images, accuracy {private_metrics['accuracy']:.4f}"
    )


def split(order):
    """The public and the private part: even and odd positions of the test images sorted by index (deterministic)."""
    return order[0::2], order[1::2]


def score(labels, predicted, part):
    from sklearn.metrics import accuracy_score, f1_score

    truth, guess = [labels[i] for i in part], [predicted[i] for i in part]
    accuracy = accuracy_score(truth, guess)
    return {"accuracy": accuracy, "f1_macro": f1_score(truth, guess, average="macro", zero_division=0), "error_rate": 1 - accuracy}


MAX_ERRORS = 50


def details(labels, predicted, public):
    """details.json, from the public part only: per-class figures, and the first misclassified images."""
    from sklearn.metrics import precision_recall_fscore_support

    truth, guess = [labels[i] for i in public], [predicted[i] for i in public]
    classes = sorted(set(truth))
    precision, recall, f1, support = precision_recall_fscore_support(truth, guess, labels=classes, zero_division=0)
    per_class = [[str(c), int(n), round(float(p), 4), round(float(r), 4), round(float(f), 4)] for c, n, p, r, f in zip(classes, support, precision, recall, f1)]
    wrong = [[i, labels[i], predicted[i]] for i in public if predicted[i] != labels[i]]
    return {
        "tables": [
            {"title": "Per class (public part)", "columns": ["class", "support", "precision", "recall", "F1"], "rows": per_class},
            {"title": f"Misclassified images (public part, first {MAX_ERRORS})", "columns": ["index", "true", "predicted"], "rows": wrong[:MAX_ERRORS]},
        ],
        "notes": [f"{len(wrong)} of the {len(public)} public test images misclassified; the private part is scored but never shown."],
    }


if __name__ == "__main__":
    main()
