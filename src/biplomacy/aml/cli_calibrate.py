"""`biplomacy supervise aml calibrate`, `aml evaluate --split/--profile` and `aml profile`: rule profiles fitted
to confirmed cases, measured on later data, adopted for the streaming scorer."""

from __future__ import annotations

from pathlib import Path

import typer

from biplomacy.aml.results import AccountEvaluation, Calibrated, SplitEvaluation
from biplomacy.cli.output import emit, out, table


def register(aml: typer.Typer) -> None:
    @aml.command("calibrate")
    def calibrate(transactions: list[Path] = typer.Option(..., "--transactions", help="Repeat for several files."),
                  labels: Path = typer.Option(..., "--labels", help="AMLSim nodes.csv / accounts.csv / alerts, "
                                                                   "our labels table, or AMLworld's file."),
                  out_: Path = typer.Option(..., "--out", help="The profile file to write (JSON)."),
                  model: str = typer.Option(None, "--model", help="gbt: also train a learned scorer."),
                  precision_floor: float = typer.Option(None, "--precision-floor",
                                                        help="Maximise recall at this precision instead of F1."),
                  json_: bool = typer.Option(False, "--json")) -> None:
        """Fit every rule's thresholds, windows and amount ceilings to labelled accounts; write a rule profile."""
        from biplomacy.aml.calibrate import calibrate_files

        d = calibrate_files(transactions, labels, out_, model, precision_floor,
                            progress=lambda s: None if json_ else out.print(f"fitting {s}..."))

        def render(d: Calibrated) -> None:
            out.print(f"profile {d.version} -> {d.profile}" + (f" (model {d.model_file})" if d.model_file else ""))
            rules = d.scores["rules"]
            out.print(f"on the data it was fitted on: rules precision {rules['precision']}, recall "
                      f"{rules['recall']}, F1 {rules['f1']}")
            if "model_out_of_fold" in d.scores:
                m = d.scores["model_out_of_fold"]
                out.print(f"learned scorer, out of fold: precision {m['precision']}, recall {m['recall']}, "
                          f"F1 {m['f1']}, PR-AUC {m['pr_auc']}")
            out.print(f"rules switched off: {', '.join(d.thresholds['disabled']) or 'none'}")

        emit(d, json_, render)

    profile = typer.Typer(help="Rule profiles: adopt one for the streaming scorer, show the one in force.",
                          no_args_is_help=True)
    aml.add_typer(profile, name="profile")

    @profile.command("adopt")
    def adopt(ctx: typer.Context, file: Path = typer.Argument(..., help="A profile from `aml calibrate`."),
              json_: bool = typer.Option(False, "--json")) -> None:
        """Adopt a profile (and its model) as the one in force; audited. The streaming scorer uses it from its
        next start."""
        from biplomacy.aml.profile_store import adopt_profile
        from biplomacy.cli import context

        c = context.get(ctx)
        emit(adopt_profile(c.store(), c.actor(), file), json_,
             lambda d: out.print(f"profile {d.version} adopted by {d.adopted_by} (adoption {d.id})"))

    @profile.command("show")
    def show(ctx: typer.Context, json_: bool = typer.Option(False, "--json")) -> None:
        """The adopted profile in force (none: the shipped thresholds)."""
        from biplomacy.aml.profile_store import adopted
        from biplomacy.cli import context

        c = context.get(ctx)
        d = adopted(c.store(), c.actor())
        if d is None:
            emit({"adopted": None, "in_force": "shipped thresholds v3"}, json_,
                 lambda _: out.print("no profile adopted: the shipped thresholds (v3) are in force"))
            return
        emit(d, json_, lambda d: out.print(f"profile {d.version}, adopted {d.adopted_at:%Y-%m-%d %H:%M} by "
                                           f"{d.adopted_by}"))


def evaluate_accounts(transactions: list[Path], labels: Path, split: float | None, model: str | None,
                      profile: Path | None, precision_floor: float | None, json_: bool) -> None:
    from biplomacy.aml.calibrate import evaluate_profile, evaluate_split

    def methods(d: SplitEvaluation | AccountEvaluation) -> None:
        table(f"{d.scored_accounts:,} accounts scored, {d.scored_positives:,} labelled laundering; profile "
              f"{d.profile_version}", ["method", "precision", "recall", "F1", "PR-AUC", "flagged"],
              [(k, v.overall["precision"], v.overall["recall"], v.overall["f1"], v.overall["pr_auc"],
                v.overall["flagged"]) for k, v in d.methods.items()])

    if profile is not None:
        emit(evaluate_profile(transactions, labels, profile), json_, methods)
        return
    assert split is not None
    emit(evaluate_split(transactions, labels, split, model, precision_floor,
                        progress=lambda s: None if json_ else out.print(f"fitting {s}...")), json_, methods)
