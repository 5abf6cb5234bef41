import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from marketplace.designs import geometry
from marketplace.designs.cad.templates import (
    REFERENCE_PROCESS_LIMITS,
    TEMPLATES,
    TemplateError,
    UnknownTemplate,
    template_get,
)


class Command(BaseCommand):
    help = (
        "Makes a parametric part, writes it as STEP or STL (by the --out suffix) and prints "
        "its analysis as one JSON object, as analyze_design does."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("template", help=f"One of: {', '.join(TEMPLATES)}.")
        parser.add_argument(
            "--param",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="A parameter in its unit (mm or a count); repeat for each. Others: defaults.",
        )
        parser.add_argument("--out", required=True, help="FILE.step or FILE.stl")

    def handle(self, *args, template: str, param: list[str], out: str, **options) -> None:
        from marketplace.designs.cad.generate import generate
        from marketplace.designs.cad.step import StepReadError

        try:
            chosen = template_get(template)
        except UnknownTemplate as error:
            raise CommandError(error.args[0]) from error
        parameters = {}
        for item in param:
            name, sep, value = item.partition("=")
            if not sep or not name.strip():
                raise CommandError(f"--param {item!r}: write it as NAME=VALUE.")
            parameters[name.strip()] = value.strip()
        path = Path(out)
        suffix = path.suffix.lower()
        if suffix not in (".step", ".stp", ".stl"):
            raise CommandError(f"--out {out!r}: the file must end in .step or .stl.")
        if not path.resolve().parent.is_dir():
            raise CommandError(f"--out {out!r}: the folder {str(path.parent)!r} does not exist.")
        processes, limits = self._network()
        try:
            analysis = generate(
                chosen,
                parameters,
                processes=processes,
                process_limits=limits,
                step_to=path if suffix != ".stl" else None,
                stl_to=path if suffix == ".stl" else None,
            )
        except TemplateError as error:
            raise CommandError(error.message) from error
        except (OSError, StepReadError) as error:
            raise CommandError(
                f"--out {out!r}: the file could not be written ({error})."
            ) from error
        self.stdout.write(json.dumps(analysis))

    def _network(self):
        try:
            from marketplace.designs.parts import network_process_limits
            from marketplace.designs.services import network_capabilities

            return network_capabilities(), network_process_limits()
        except DatabaseError:  # no migrated database: judge against typical processes
            return list(geometry.REFERENCE_PROCESSES), list(REFERENCE_PROCESS_LIMITS)
