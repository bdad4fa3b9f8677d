"""Import an Excel workbook as a user would upload it, printing the import summary."""

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from forms.models import FormTemplate
from imports.direct import import_workbook_direct
from imports.services import import_job_create, import_job_parse


class Command(BaseCommand):
    help = (
        "Read FILE (a filled template, a workbook of template sheets or a long table) "
        "as USERNAME would upload it, then import it in one pass unless --dry-run; "
        "print the "
        "import summary (status, counts, conflicts), as JSON with --json. Exits "
        "with status 1 when nothing could be imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="username of the uploader")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="only show what would change; store nothing",
        )
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument(
            "--form", help="form code of long tables without a form column"
        )
        parser.add_argument("--language", default="vi", help="language of messages")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None or not user.is_active:
            raise CommandError(f"No active user {options['user']!r}.")
        form = None
        if options["form"]:
            form = FormTemplate.objects.filter(code=options["form"]).first()
            if form is None:
                raise CommandError(f"No form {options['form']!r}.")
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        try:
            with path.open("rb") as stream:
                uploaded = File(stream, name=path.name)
                if options["dry_run"]:
                    job = import_job_create(
                        acting_user=user,
                        uploaded_file=uploaded,
                        form=form,
                        language=options["language"],
                        enqueue=False,
                    )
                else:
                    # One pass: read, check and store, without the web preview.
                    job = import_workbook_direct(
                        acting_user=user,
                        uploaded_file=uploaded,
                        form=form,
                        language=options["language"],
                    )
        except PermissionDenied:
            raise CommandError(f"{user.username} reports for no unit.") from None
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if options["dry_run"]:
            job = import_job_parse(job_id=job.pk)
        summary = {"job": job.pk, **job.summary}
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2))
        else:
            self._print(summary)
        if summary.get("status") == "ERROR":
            raise CommandError("Nothing was imported.")

    def _print(self, summary: dict) -> None:
        counts = summary.get("counts", {})
        mode = "dry run" if summary.get("dry_run") else "imported"
        self.stdout.write(
            f"{summary.get('file')}: {summary.get('status')} ({mode}) – "
            f"created {counts.get('created', 0)}, updated {counts.get('updated', 0)}, "
            f"unchanged {counts.get('unchanged', 0)}, ignored {counts.get('ignored', 0)}"
        )
        for report in summary.get("reports", []):
            self.stdout.write(
                f"  {report['form']} {report['unit']} {report['period']}: "
                f"{report['status']}"
                + (
                    f" (revision {report['revision']})"
                    if report.get("revision")
                    else ""
                )
            )
        for conflict in summary.get("conflicts", []):
            where = "!".join(
                part for part in (conflict["sheet"], conflict["cell"]) if part
            )
            self.stdout.write(
                f"  [{conflict['severity']}] {where or '-'} "
                f"{conflict['unit']} {conflict['period']} "
                f"{conflict['row_code']}/{conflict['column'] or ''}: {conflict['message']}"
            )
