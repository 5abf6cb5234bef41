import json

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from marketplace.designs import geometry
from marketplace.designs.services import design_limits, network_capabilities


class Command(BaseCommand):
    help = (
        "Analyses a design file and prints the analysis as one JSON object "
        "(volume_mm3, area_mm2, bbox_mm, triangles, watertight, issues, manufacturability, ...)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--unit",
            default="mm",
            choices=["mm", "inch", "m"],
            help="Unit of STL and OBJ files, which carry none (3MF files use their own).",
        )
        parser.add_argument("--material", help="Material code, to check processes against it.")

    def handle(self, *args, file: str, unit: str, material: str | None, **options) -> None:
        try:
            processes = network_capabilities()
        except DatabaseError:  # no migrated database: judge against typical processes
            processes = list(geometry.REFERENCE_PROCESSES)
        try:
            analysis = geometry.analyze_path(
                file, unit=unit, limits=design_limits(), processes=processes, material=material
            )
        except geometry.DesignFileError as error:
            raise CommandError(f"{file}: {error.message}") from error
        self.stdout.write(json.dumps(analysis))
