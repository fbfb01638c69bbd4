"""``tunelab schedule show|plot EXPRESSION``: print or draw a schedule written as a call (or, with
``--study NAME --storage URL`` instead of EXPRESSION, a population-based training winner's).

``EXPRESSION`` is a call of a registered family with literal arguments, for example
``"ExponentialDecay(0.1, 1000, 0.96, staircase=True)"`` or
``"SequentialLR([LinearLR(0.1, 0.01, total_iters=100), CosineAnnealingLR(0.1, T_max=900)], [100])"``.
It is parsed with :mod:`ast`, never evaluated: only family calls, numbers, strings, booleans,
``None``, lists/tuples of those and nested family calls are accepted.

>>> parse_schedule("StepLR(0.1, step_size=30)")
StepLR(base_lr=0.1, step_size=30, gamma=0.1)
"""

from __future__ import annotations

import argparse
import ast
import io
from typing import Any

from tunelab._errors import require_extra
from tunelab.cli._common import add_storage_argument, integer, storage_url, writable_output, write_output
from tunelab.schedules import Schedule, ScheduleError, schedule_families

__all__ = ["add_parser", "cmd_schedule", "parse_schedule"]

#: The largest step count accepted, and the most steps evaluated in one command.
MAX_STEPS = 10**12
MAX_POINTS = 1_000_000
ALLOWED = "a call of a schedule family with literal arguments (numbers, strings, True/False/None, lists, family calls)"


def parse_schedule(text: str) -> Schedule:
    """The schedule written as ``Family(arg, ..., key=value)``; raises ScheduleError otherwise."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ScheduleError(f"expression={text!r} is invalid: must be {ALLOWED} ({exc.msg})") from None
    value = _literal(tree.body, text)
    if not isinstance(value, Schedule):
        raise ScheduleError(f"expression={text!r} is invalid: must be {ALLOWED}")
    return value


def _literal(node: ast.AST, text: str) -> Any:
    if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, (bool, int, float, str))):
        return node.value
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd))
            and isinstance(node.operand, ast.Constant) and isinstance(node.operand.value, (int, float))
            and not isinstance(node.operand.value, bool)):
        return -node.operand.value if isinstance(node.op, ast.USub) else node.operand.value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_literal(item, text) for item in node.elts]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        families = schedule_families()
        if node.func.id not in families:
            raise ScheduleError(
                f"family={node.func.id!r} is invalid in expression={text!r}: must be one of {sorted(families)}"
            )
        if any(k.arg is None for k in node.keywords) or any(isinstance(a, ast.Starred) for a in node.args):
            raise ScheduleError(f"expression={text!r} is invalid: must not unpack arguments (*, **)")
        args = [_literal(a, text) for a in node.args]
        kwargs = {k.arg: _literal(k.value, text) for k in node.keywords}
        try:
            return families[node.func.id](*args, **kwargs)
        except TypeError as exc:  # wrong argument names or count
            raise ScheduleError(f"expression={text!r} is invalid: {exc}") from None
    snippet = ast.get_source_segment(text.strip(), node) or type(node).__name__
    raise ScheduleError(f"expression={text!r} is invalid: {snippet!r} is not allowed; must be {ALLOWED}")


def _from_study(name: str, args: argparse.Namespace) -> tuple[Schedule, int]:
    """The winner's learning-rate schedule of the population-based training study ``name`` (in
    ``--storage``) and the optimizer steps its whole budget trained."""
    import tunelab
    from tunelab.pbt import result

    found = result(tunelab.load_study(study_name=name, storage=storage_url(args)))
    if found.schedule is None:
        raise ScheduleError(f"--study={name!r} is invalid: its population-based training recorded no learning "
                            "rate (it ran with lr_param=None)")
    return found.schedule, int(found.settings["budget"]) * int(found.settings["steps_per_unit"])


def add_parser(subparsers: Any) -> None:
    """Register ``schedule show`` and ``schedule plot`` on the main command line."""
    p = subparsers.add_parser("schedule", help="print or plot a learning-rate schedule")
    p.add_argument("action", choices=("show", "plot"), help="show: print a table; plot: write a PNG")
    p.add_argument("expression", nargs="?", default=None,
                   help='e.g. "ExponentialDecay(0.1, 1000, 0.96, staircase=True)"; or --study')
    p.add_argument("--study", default=None, help="instead of an expression: the winner's learning rate of this "
                                                 "population-based training study (with --storage)")
    add_storage_argument(p)
    p.add_argument("--steps", type=integer(1, MAX_STEPS), default=None,
                   help="evaluate steps 0 .. N-1 (default 100; with --study, the run's whole budget)")
    p.add_argument("--every", type=integer(1, MAX_STEPS), default=1, help="show every K-th step (default 1)")
    p.add_argument("--output", default="schedule.png", help="PNG file for plot (default schedule.png)")
    p.set_defaults(handler=cmd_schedule)


def cmd_schedule(args: argparse.Namespace) -> int:
    """Handle ``tunelab schedule``: print the table or write the plot; return the exit status."""
    study = getattr(args, "study", None)  # a handler called with a namespace of its own may lack it
    if study is not None and args.expression is not None:
        raise ScheduleError(f"expression={args.expression!r} is invalid with --study: give one or the other")
    if study is None and args.expression is None:
        raise ScheduleError("expression is missing: give a schedule such as \"StepLR(0.1, step_size=30)\", "
                            "or --study NAME --storage URL for a population-based training winner's")
    schedule, budget = _from_study(study, args) if study is not None else (parse_schedule(args.expression), 100)
    n_steps = budget if args.steps is None else args.steps
    if n_steps < 1:
        raise ScheduleError(f"--steps={n_steps} is invalid: must be an integer >= 1")
    if args.every < 1:
        raise ScheduleError(f"--every={args.every} is invalid: must be an integer >= 1")
    points = range(0, n_steps, args.every)
    if len(points) > MAX_POINTS:
        raise ScheduleError(f"--steps={n_steps} --every={args.every} is invalid: {len(points)} steps to evaluate; "
                            f"must be at most {MAX_POINTS} (raise --every to {-(-n_steps // MAX_POINTS)})")
    output = writable_output(args.output, "--output") if args.action == "plot" else None
    steps = list(points)
    if args.action == "show":
        print(repr(schedule))
        width = max(len("step"), len(str(steps[-1])))
        print(f"{'step':>{width}}  learning_rate")
        for step, value in schedule.table(steps):
            print(f"{step:>{width}}  {value!r}")
        return 0
    require_extra("matplotlib", "plot").use("Agg")
    plt = require_extra("matplotlib.pyplot", "plot")
    ax = schedule.plot(steps)
    ax.set_title(repr(schedule), fontsize=8)
    ax.figure.tight_layout()
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png", dpi=120)
    plt.close(ax.figure)
    write_output(output, buffer.getvalue(), "--output")
    print(f"wrote {args.output}")
    return 0
