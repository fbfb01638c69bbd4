"""Export trials to pandas: the default flat columns, chosen attrs, and a multi-index.

After Optuna's FAQ / tutorial use of Study.trials_dataframe (and faq/max_trials_callback.py).

APIs: Study.trials_dataframe(), trials_dataframe(attrs=(...)), trials_dataframe(multi_index=True),
Trial.set_user_attr, Study.set_user_attr, Study.user_attrs, columns params_*, user_attrs_*, state, duration
"""
# ruff: noqa: I001
import optuna


def objective(trial):
    x = trial.suggest_float("x", -1, 1)
    trial.set_user_attr("note", f"x={x:.2f}")
    return x**2


if __name__ == "__main__":
    study = optuna.create_study()
    study.set_user_attr("owner", "compat")
    study.optimize(objective, n_trials=5)
    assert study.user_attrs == {"owner": "compat"}
    frame = study.trials_dataframe()
    for column in ("number", "value", "datetime_start", "datetime_complete", "duration", "params_x",
                   "user_attrs_note", "state"):
        assert column in frame.columns, (column, list(frame.columns))
    assert list(frame.state) == ["COMPLETE"] * 5
    small = study.trials_dataframe(attrs=("number", "value", "params"))
    assert list(small.columns) == ["number", "value", "params_x"], list(small.columns)
    multi = study.trials_dataframe(attrs=("number", "value", "params"), multi_index=True)
    assert ("params", "x") in multi.columns, list(multi.columns)
    print(frame[["number", "value", "params_x", "state"]])
