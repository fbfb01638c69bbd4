"""Tune a Hugging Face Trainer's learning-rate schedule, with pruning, on a tiny BERT (nothing downloaded).

    python examples/transformers_tiny.py [--trials 8] [--storage sqlite:///transformers_tiny.db]

Each trial draws a learning-rate schedule (family, peak rate, warmup and decay arguments) with
``trial.suggest_schedule`` and a weight decay, hands them to the Trainer with
``tunelab.integrations.transformers.optimizers`` and trains a one-layer BERT, built from a config
with random weights, to tell the parity of a sequence's first token. ``PruningCallback`` reports
the evaluation loss every 10 optimizer steps and a median pruner stops poor trials early; each
trial keeps the rates its optimizer steps applied (user attribute ``"lr_trace"``), which
``tunelab report`` and the dashboard draw beside the schedule. Runs in well under a minute on a
CPU; needs ``pip install 'tunelab[transformers]'``.
"""

import argparse
import os
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing is downloaded: the model is built from a config

import torch  # noqa: E402
import transformers  # noqa: E402

import tunelab  # noqa: E402
from tunelab import schedules  # noqa: E402
from tunelab.integrations.transformers import PruningCallback, optimizers  # noqa: E402

STEPS = 60  # optimizer steps per trial: the schedules' horizon


class FirstTokenParity(torch.utils.data.Dataset):
    """``n`` random sequences of 12 tokens from a 64-token vocabulary; the label is the first token's parity."""

    def __init__(self, n: int, seed: int) -> None:
        self.tokens = torch.randint(0, 64, (n, 12), generator=torch.Generator().manual_seed(seed))

    def __len__(self) -> int:
        return len(self.tokens)

    def __getitem__(self, i: int) -> dict:
        return {"input_ids": self.tokens[i], "labels": self.tokens[i, 0] % 2}


def tiny_bert() -> transformers.PreTrainedModel:
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=64, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                     intermediate_size=64, max_position_embeddings=16)
    return transformers.BertForSequenceClassification(config)


def make_objective(workdir: str):
    train_set, eval_set = FirstTokenParity(960, seed=0), FirstTokenParity(256, seed=1)
    space = schedules.space(["constant", "cosine", "one_cycle", "wsd"], initial=(1e-4, 3e-2))

    def objective(trial: tunelab.Trial) -> float:
        lr = trial.suggest_schedule("lr", space, total_steps=STEPS)
        weight_decay = trial.suggest_float("weight_decay", 1e-4, 0.1, log=True)
        model = tiny_bert()
        args = transformers.TrainingArguments(
            output_dir=os.path.join(workdir, f"trial-{trial.number}"), max_steps=STEPS,
            per_device_train_batch_size=16, per_device_eval_batch_size=256, eval_strategy="steps", eval_steps=10,
            save_strategy="no", logging_strategy="no", report_to="none", disable_tqdm=True, use_cpu=True)
        trainer = transformers.Trainer(
            model=model, args=args, train_dataset=train_set, eval_dataset=eval_set,
            optimizers=optimizers(model, lr, optimizer="adamw", weight_decay=weight_decay),
            callbacks=[PruningCallback(trial, "eval_loss")])
        trainer.remove_callback(transformers.PrinterCallback)  # keep the console to tunelab's lines
        trainer.train()  # raises TrialPruned when the pruner stops this trial
        return trainer.evaluate()["eval_loss"]

    return objective


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--storage", default=None, help="a storage URL to keep the trials (default: in memory)")
    args = parser.parse_args()
    transformers.logging.set_verbosity_error()

    study = tunelab.create_study(
        direction="minimize", storage=args.storage, study_name="transformers-tiny", load_if_exists=True,
        sampler=tunelab.samplers.TPESampler(seed=0, n_startup_trials=4),
        pruner=tunelab.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=10))
    with tempfile.TemporaryDirectory() as workdir:
        study.optimize(make_objective(workdir), n_trials=args.trials)

    pruned = [t.number for t in study.trials if t.state == tunelab.TrialState.PRUNED]
    best = study.best_trial
    print(f"{len(study.trials)} trials, pruned: {pruned}")
    print(f"best eval loss {best.value:.4f} (trial {best.number}) with weight decay "
          f"{best.params['weight_decay']:.2g} and lr schedule {best.schedule('lr')!r}")
    applied = best.user_attrs["lr_trace"]
    print(f"its applied rates: step 0 {applied[0][1]:.3g}, step {applied[-1][0]} {applied[-1][1]:.3g}")


if __name__ == "__main__":
    main()
