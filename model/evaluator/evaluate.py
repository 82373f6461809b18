"""The digits benchmark's evaluator: scores a model's predictions against the hidden labels.

modelrun runs it after the model, with the model's output read-only at $PREDICTIONS_DIR and the
reference data (labels.csv, never shown to models) read-only at $REFERENCE_DIR; it writes
$OUTPUT_DIR/score.json. Predictions that break the format are rejected with exit code 3 (the
model's fault, bad_output) and the reason in $OUTPUT_DIR/message.txt, which the submitter sees;
any other failure is the evaluator's own (evaluator_failed).

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
    from sklearn.metrics import accuracy_score, f1_score

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
    order = sorted(labels)
    truth, guess = [labels[i] for i in order], [predicted[i] for i in order]
    accuracy = accuracy_score(truth, guess)
    metrics = {"accuracy": accuracy, "f1_macro": f1_score(truth, guess, average="macro"), "error_rate": 1 - accuracy}
    with open(os.path.join(os.environ["OUTPUT_DIR"], "score.json"), "w", encoding="utf-8") as f:
        json.dump({"score": accuracy, "metrics": metrics}, f)
    print(f"scored {len(order)} predictions: accuracy {accuracy:.4f}")


if __name__ == "__main__":
    main()
