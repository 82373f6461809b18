"""The digits benchmark's split, shared by the sample model and the digits evaluator.

The test split is fixed (stratified, 25 %, seed 42), so every model predicts the same held-out
images and the evaluator's hidden labels cover exactly them. Images are named by their index in
scikit-learn's digits dataset.
"""
TEST_SIZE = 0.25
SEED = 42


def load():
    """(images scaled to 0..1, labels, train indices, test indices)."""
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    train, test = train_test_split(np.arange(len(y)), test_size=TEST_SIZE, random_state=SEED, stratify=y)
    return x / 16.0, y, sorted(train.tolist()), sorted(test.tolist())
