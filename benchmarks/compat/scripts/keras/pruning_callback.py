"""A Keras MLP on digits with KerasPruningCallback on validation accuracy (Keras 3; torch backend without TF).

After optuna-examples keras/keras_integration.py (MNIST swapped for digits).

APIs: integration.KerasPruningCallback(trial, "val_accuracy", interval=), pruners.MedianPruner(n_startup_trials=),
Trial.suggest_int(log=True), Trial.suggest_float(log=True), from optuna.trial import TrialState,
Study.get_trials(deepcopy=False, states=), Study.best_trial
"""
# ruff: noqa: I001, E402
import optuna
from optuna.integration import KerasPruningCallback
from optuna.trial import TrialState
import importlib.util
import os

if "KERAS_BACKEND" not in os.environ and importlib.util.find_spec("tensorflow") is None:
    os.environ["KERAS_BACKEND"] = "torch"
import keras
import sklearn.datasets
import sklearn.model_selection

X, y = sklearn.datasets.load_digits(return_X_y=True)
X_train, X_valid, y_train, y_valid = sklearn.model_selection.train_test_split(
    (X / 16.0).astype("float32"), keras.utils.to_categorical(y, 10), test_size=0.25, random_state=0)


def objective(trial):
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input(shape=(64,))])
    for i in range(trial.suggest_int("n_layers", 1, 2)):
        model.add(keras.layers.Dense(trial.suggest_int(f"n_units_l{i}", 8, 64, log=True), activation="relu"))
        model.add(keras.layers.Dropout(trial.suggest_float(f"dropout_l{i}", 0.0, 0.4)))
    model.add(keras.layers.Dense(10, activation="softmax"))
    model.compile(loss="categorical_crossentropy", metrics=["accuracy"],
                  optimizer=keras.optimizers.RMSprop(learning_rate=trial.suggest_float("lr", 1e-4, 1e-1, log=True)))
    model.fit(X_train, y_train, batch_size=64, epochs=4, validation_data=(X_valid, y_valid), verbose=0,
              callbacks=[KerasPruningCallback(trial, "val_accuracy", interval=1)])
    return model.evaluate(X_valid, y_valid, verbose=0)[1]


if __name__ == "__main__":
    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.MedianPruner(n_startup_trials=2))
    study.optimize(objective, n_trials=5)
    pruned = study.get_trials(deepcopy=False, states=[TrialState.PRUNED])
    print(f"{len(study.trials)} trials, {len(pruned)} pruned; best {study.best_trial.value:.3f}")
    assert study.best_value > 0.5
    assert all(len(t.intermediate_values) >= 1 for t in study.trials), "the callback reported nothing"
