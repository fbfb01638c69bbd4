"""The transformers Trainer integration, with a real Trainer on a tiny BERT built from a config (nothing downloaded)."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import importlib  # noqa: E402
import importlib.util  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

transformers = pytest.importorskip("transformers", reason="transformers is not installed (extra 'transformers')")
torch = pytest.importorskip("torch")

import tunelab  # noqa: E402
from tunelab import pruners, schedules  # noqa: E402
from tunelab.integrations.transformers import PruningCallback, optimizers  # noqa: E402

#: A cosine with 3 warmup steps over 12 optimizer steps: every step's rate differs.
SCHEDULE = schedules.get_cosine_schedule_with_warmup(0.01, num_warmup_steps=3, num_training_steps=12)


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


class Tokens(torch.utils.data.Dataset):
    """``n`` random sequences of 8 tokens; the label is the first token's parity."""

    def __init__(self, n, seed=0):
        self.x = torch.randint(0, 64, (n, 8), generator=torch.Generator().manual_seed(seed))

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return {"input_ids": self.x[i], "labels": self.x[i, 0] % 2}


def tiny_bert():
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=64, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                     intermediate_size=32, max_position_embeddings=16)
    return transformers.BertForSequenceClassification(config)


def trainer(tmp_path, *, model=None, schedule=None, callbacks=(), max_steps=12, eval_steps=4, eval_dataset=None,
            **args):
    """A Trainer of a tiny BERT for ``max_steps`` steps of 8 sequences, evaluated every ``eval_steps``."""
    model = model or tiny_bert()
    defaults = {"save_strategy": "no", "logging_strategy": "no", "disable_tqdm": True, "eval_strategy": "steps",
                "per_device_train_batch_size": 8, "per_device_eval_batch_size": 32}
    arguments = transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"), max_steps=max_steps, eval_steps=eval_steps, report_to="none",
        use_cpu=True, **{**defaults, **args})
    return transformers.Trainer(
        model=model, args=arguments, train_dataset=Tokens(96), eval_dataset=eval_dataset or Tokens(32, seed=1),
        optimizers=optimizers(model, schedule) if schedule is not None else (None, None), callbacks=list(callbacks))


def tunelab_warnings(caught):
    return [str(w.message) for w in caught if str(w.message).startswith("tunelab:")]


def applied_rates(trainer):
    """Record param group 0's rate as each optimizer step runs (a torch step pre-hook, not tunelab's code)."""
    rates = []
    trainer.optimizer.register_step_pre_hook(lambda opt, *_: rates.append(opt.param_groups[0]["lr"]))
    return rates


# --- the schedule handed to the Trainer -------------------------------------------------------


@pytest.mark.parametrize("accumulation", [1, 2])
def test_optimizer_step_k_applies_the_schedules_rate_at_k(tmp_path, accumulation):
    t = trainer(tmp_path, schedule=SCHEDULE, gradient_accumulation_steps=accumulation,
                per_device_train_batch_size=8 // accumulation)
    rates = applied_rates(t)
    t.train()
    assert t.state.global_step == 12
    assert rates == pytest.approx([float(SCHEDULE(k)) for k in range(12)], rel=1e-12)
    assert len(set(rates)) == 12  # warmup then decay: every step's rate differs


def test_resuming_from_a_checkpoint_continues_the_schedule(tmp_path):
    first = trainer(tmp_path, schedule=SCHEDULE, max_steps=12, save_strategy="steps", save_steps=4)
    first.train()
    again = trainer(tmp_path, schedule=SCHEDULE, max_steps=12)
    rates = applied_rates(again)
    again.train(resume_from_checkpoint=str(tmp_path / "out" / "checkpoint-8"))
    assert rates == pytest.approx([float(SCHEDULE(k)) for k in range(8, 12)], rel=1e-12)


def test_optimizers_builds_the_named_optimizer_with_weight_decay_off_biases_and_norms():
    model = tiny_bert()
    opt, sched = optimizers(model, SCHEDULE, optimizer="AdamW", weight_decay=0.1, betas=(0.8, 0.9))
    assert type(opt) is torch.optim.AdamW
    decayed, plain = opt.param_groups
    assert decayed["weight_decay"] == 0.1 and plain["weight_decay"] == 0.0
    assert all(p.ndim >= 2 for p in decayed["params"]) and all(p.ndim < 2 for p in plain["params"])
    assert len(decayed["params"]) + len(plain["params"]) == len(list(model.parameters()))
    assert opt.defaults["betas"] == (0.8, 0.9)
    assert sched.get_last_lr() == [float(SCHEDULE(0))] * 2
    opt, _ = optimizers(model, SCHEDULE, optimizer=torch.optim.SGD, momentum=0.9)
    assert type(opt) is torch.optim.SGD and len(opt.param_groups) == 1 and opt.defaults["momentum"] == 0.9


def test_optimizers_leaves_frozen_parameters_out():
    model = tiny_bert()
    for p in model.bert.parameters():
        p.requires_grad_(False)
    opt, _ = optimizers(model, SCHEDULE)
    assert sum(len(g["params"]) for g in opt.param_groups) == len(list(model.classifier.parameters()))


@pytest.mark.parametrize("call, error, message", [
    (lambda m: optimizers(m, SCHEDULE, lr=0.1), tunelab.InvalidArgumentError,
     r"lr=0.1 is invalid for optimizers: must be left out: the schedule sets the rate"),
    (lambda m: optimizers(m, SCHEDULE, optimizer="adamx"), tunelab.InvalidArgumentError,
     r"optimizer='adamx' is invalid for optimizers: must be the name of a torch.optim optimizer"),
    (lambda m: optimizers(m, SCHEDULE, optimizer=dict), tunelab.InvalidArgumentError,
     r"optimizer=<class .dict.> is invalid for optimizers: .* or a subclass of Optimizer"),
    (lambda m: optimizers(m, 0.01), tunelab.InvalidTypeError, r"schedule=0.01 \(type float\) is invalid.*a Schedule"),
    (lambda m: optimizers("bert", SCHEDULE), tunelab.InvalidTypeError, r"model='bert'.*a torch.nn.Module"),
    (lambda m: optimizers(m, SCHEDULE, weight_decay=-0.1), tunelab.InvalidArgumentError, r"weight_decay=-0.1"),
    (lambda m: optimizers(torch.nn.ReLU(), SCHEDULE), tunelab.InvalidArgumentError,
     r"model='ReLU' is invalid for optimizers: must be a model with trainable parameters"),
])
def test_optimizers_refuses_bad_input_by_name(call, error, message):
    with pytest.raises(error, match=message):
        call(tiny_bert())


# --- the pruning callback ------------------------------------------------------------------


def test_reports_at_each_evaluation_at_the_global_step_and_stores_the_applied_rates(tmp_path, drawn):
    trial, schedule = drawn
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer(tmp_path, schedule=schedule, callbacks=[PruningCallback(trial)]).train()
    assert sorted(trial.intermediate_values) == [4, 8, 12]
    assert trial.user_attrs["lr_trace"] == [[k, pytest.approx(float(schedule(k)), rel=1e-12)] for k in range(12)]
    assert tunelab_warnings(caught) == []


def test_epoch_evaluation_reports_at_the_global_step_and_the_prefix_may_be_left_out(tmp_path):
    trial = tunelab.create_study().ask()
    t = trainer(tmp_path, schedule=SCHEDULE, callbacks=[PruningCallback(trial, "loss")], max_steps=-1,
                num_train_epochs=2, eval_strategy="epoch")
    t.train()
    assert sorted(trial.intermediate_values) == [12, 24]  # 96 sequences of 8: 12 steps an epoch
    assert trial.intermediate_values[24] == pytest.approx(t.evaluate()["eval_loss"], rel=1e-6)


def test_a_study_prunes_a_bad_trial_and_its_training_stops_early(tmp_path):
    steps = {}

    def objective(trial):
        schedule = trial.suggest_schedule("lr", schedules.space(["constant"], initial=(1e-6, 0.1)),
                                          total_steps=12)
        t = trainer(tmp_path, schedule=schedule, callbacks=[PruningCallback(trial)], eval_dataset=Tokens(96))
        try:
            t.train()
        finally:
            steps[trial.number] = t.state.global_step
        return t.evaluate()["eval_loss"]

    study = tunelab.create_study(pruner=pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=0))
    for lr in (0.01, 1e-6, 0.01):  # learns, does not, learns
        study.enqueue_trial({"lr.family": "constant", "lr.constant.initial": lr})
    study.optimize(objective, n_trials=3)
    states = [t.state for t in study.trials]
    assert states == [tunelab.TrialState.COMPLETE, tunelab.TrialState.PRUNED, tunelab.TrialState.COMPLETE]
    assert steps == {0: 12, 1: 4, 2: 12}  # the pruned trial stopped at its first evaluation
    pruned = study.trials[1]
    assert sorted(pruned.intermediate_values) == [4]
    assert [s for s, _ in pruned.user_attrs["lr_trace"]] == [0, 1, 2, 3]
    assert pruned.intermediate_values[4] > study.trials[0].intermediate_values[4]


def test_a_pruned_trial_raises_out_of_train_after_the_trainer_ends_its_run(tmp_path):
    trial = tunelab.create_study(pruner=pruners.ThresholdPruner(upper=-1.0)).ask()
    ended = []

    class Ends(transformers.TrainerCallback):
        def on_train_end(self, args, state, control, **kwargs):
            ended.append(state.global_step)

    callback = PruningCallback(trial)
    t = trainer(tmp_path, schedule=SCHEDULE, callbacks=[Ends(), callback])
    with pytest.raises(tunelab.TrialPruned, match="pruned at step 4"):
        t.train()
    assert ended == [4] and t.state.global_step == 4
    assert callback.pruned == "pruned at step 4"
    assert sorted(trial.intermediate_values) == [4]


def test_a_missing_monitor_is_an_error_naming_the_metrics(tmp_path):
    trial = tunelab.create_study().ask()
    t = trainer(tmp_path, schedule=SCHEDULE, callbacks=[PruningCallback(trial, "eval_accuracy")])
    with pytest.raises(tunelab.InvalidArgumentError,
                       match=r"monitor='eval_accuracy' is invalid: the metrics logged are \[.*'eval_loss'"):
        t.train()
    assert t.state.global_step == 4  # raised before the step after the first evaluation
    assert trial.intermediate_values == {}


def test_with_several_evaluation_datasets_the_monitor_names_one(tmp_path):
    sets = {"a": Tokens(16, seed=1), "b": Tokens(16, seed=2)}
    trial = tunelab.create_study().ask()
    t = trainer(tmp_path, schedule=SCHEDULE, callbacks=[PruningCallback(trial, "eval_b_loss")], eval_dataset=sets)
    t.train()
    assert sorted(trial.intermediate_values) == [4, 8, 12]
    assert trial.intermediate_values[12] == pytest.approx(t.evaluate(sets["b"])["eval_loss"], rel=1e-6)
    other = tunelab.create_study().ask()
    t = trainer(tmp_path, schedule=SCHEDULE, callbacks=[PruningCallback(other)], eval_dataset=sets)
    with pytest.raises(tunelab.InvalidArgumentError, match=r"monitor='eval_loss'.*'eval_a_loss'.*'eval_b_loss'"):
        t.train()


def test_evaluate_outside_train_reports_nothing(tmp_path):
    trial = tunelab.create_study().ask()
    trainer(tmp_path, schedule=SCHEDULE, callbacks=[PruningCallback(trial)]).evaluate()
    assert trial.intermediate_values == {}


def test_the_trainers_own_schedule_warns_naming_the_hand_off(tmp_path, drawn):
    trial, schedule = drawn
    with pytest.warns(UserWarning, match=r"tunelab: the learning rate applied at step 0 is 5e-05, .*not the "
                                         r"schedule's rate.*optimizers=tunelab.integrations.transformers.optimizers"):
        trainer(tmp_path, callbacks=[PruningCallback(trial)]).train()  # Trainer's default: linear from 5e-5
    assert len(trial.user_attrs["lr_trace"]) == 12


def test_a_scheduler_stepped_again_by_a_callback_warns(tmp_path, drawn):
    trial, schedule = drawn

    class StepsAgain(transformers.TrainerCallback):
        def on_step_end(self, args, state, control, lr_scheduler=None, **kwargs):
            lr_scheduler.step()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer(tmp_path, schedule=schedule, callbacks=[StepsAgain(), PruningCallback(trial)]).train()
    messages = tunelab_warnings(caught)
    assert any("the schedule's rate at step 2, ahead" in m and "do not also call lr_scheduler.step()" in m
               for m in messages), messages


def test_an_optimizer_step_the_loss_scaler_skipped_is_not_counted():
    class Optimizer:
        param_groups = [{"lr": 0.5}]
        step_was_skipped = False

    trial = tunelab.create_study().ask()
    callback, opt = PruningCallback(trial), Optimizer()
    state, control = transformers.TrainerState(), transformers.TrainerControl()
    callback.on_train_begin(None, state, control)
    for skipped in (False, True, False):
        callback.on_step_begin(None, state, control, optimizer=opt)
        opt.step_was_skipped = skipped
        callback.on_optimizer_step(None, state, control, optimizer=opt)
        if not skipped:
            opt.param_groups[0]["lr"] /= 2
        state.global_step += 1
    callback.on_train_end(None, state, control)
    assert trial.user_attrs["lr_trace"] == [[0, 0.5], [1, 0.25]]


@pytest.mark.parametrize("kwargs, error, message", [
    ({"monitor": ""}, tunelab.InvalidArgumentError, r"monitor='' is invalid for PruningCallback"),
    ({"monitor": 3}, tunelab.InvalidTypeError, r"monitor=3 \(type int\) is invalid for PruningCallback"),
    ({"max_points": 1}, tunelab.InvalidArgumentError, r"max_points=1 is invalid for PruningCallback"),
])
def test_the_callback_refuses_bad_input_by_name(kwargs, error, message):
    with pytest.raises(error, match=message):
        PruningCallback(tunelab.create_study().ask(), **kwargs)


def test_without_transformers_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "transformers", None)
    monkeypatch.delitem(sys.modules, "tunelab.integrations.transformers")
    with pytest.raises(tunelab.MissingExtraError, match=r"pip install 'tunelab\[transformers\]'"):
        importlib.import_module("tunelab.integrations.transformers")


def test_reached_as_an_attribute_after_a_plain_import():
    assert "transformers" in dir(tunelab.integrations)
    assert tunelab.integrations.transformers.optimizers is optimizers


# --- the guide and the example run as written -----------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


def test_the_guides_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the guide's output_dir is relative
    guide = (ROOT / "docs" / "transformers.md").read_text()
    blocks = re.findall(r"^```([^\n]*)\n(.*?)^```", guide, re.S | re.M)
    assert {info.strip() for info, _ in blocks} <= {"python", "python no-run"}
    runnable = [code for info, code in blocks if info.strip() == "python"]
    assert runnable
    namespace: dict = {}
    for code in runnable:
        exec(compile(code, "docs/transformers.md", "exec"), namespace)
    assert len(namespace["study"].trials) == 4


def test_the_example_runs(monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location("transformers_tiny", ROOT / "examples" / "transformers_tiny.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    monkeypatch.setattr(sys, "argv", ["transformers_tiny.py", "--trials", "3"])
    example.main()
    out = capsys.readouterr().out
    assert "3 trials, pruned: [" in out and "best eval loss" in out and "its applied rates: step 0" in out
