from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recommendations import notifications
from recommendations.notifications import DeliveryResult, Outcome

SKIPPED = {Outcome.ALREADY_SENT, Outcome.IN_FLIGHT, Outcome.NOTHING_TO_SEND, Outcome.NOT_SUBSCRIBED}


class Command(BaseCommand):
    verbosity = 1
    help = (
        "Send this week's (or --period's) digests and escalations now, in this process, through the "
        "same code as the Celery tasks. Already-sent emails are skipped, so running it twice sends once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", help="ISO week, e.g. 2026-W07 (default: the current week)")
        parser.add_argument("--dry-run", action="store_true", help="send nothing; print what would be sent")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            period = notifications.parse_period(options["period"]) if options["period"] else None
        except ValueError as error:
            raise CommandError(str(error)) from error
        period = period or notifications.iso_period()
        dry_run = bool(options["dry_run"])
        self.verbosity = int(options["verbosity"])
        self.stdout.write(f"Reminders for {period}{' (dry run: nothing is sent)' if dry_run else ''}")
        results = notifications.deliver_all(period=period, dry_run=dry_run, on_result=self._print)
        counts = Counter(result.outcome for result in results)
        skipped = sum(counts[outcome] for outcome in SKIPPED)
        if dry_run:
            self.stdout.write(f"Would send {counts[Outcome.WOULD_SEND]}, would skip {skipped}.")
        else:
            self.stdout.write(
                f"Sent {counts[Outcome.SENT]}, skipped {skipped}, failed {counts[Outcome.FAILED]}."
            )
        if counts[Outcome.FAILED]:
            raise CommandError(
                f"{counts[Outcome.FAILED]} email(s) failed; they are recorded as failed and are sent "
                "by the next run of this command for the same week."
            )

    def _print(self, result: DeliveryResult) -> None:
        who = result.address or f"user #{result.recipient_id}"
        if result.outcome in (Outcome.SENT, Outcome.WOULD_SEND):
            verb = "would send" if result.outcome == Outcome.WOULD_SEND else "sent"
            self.stdout.write(
                f"  {verb} {result.kind} to {who} ({result.language}, {result.item_count} items): "
                f"{result.subject}"
            )
        elif result.outcome == Outcome.FAILED:
            self.stderr.write(f"  FAILED {result.kind} to {who}: {result.error}")
        elif self.verbosity >= 2:
            self.stdout.write(f"  skipped {result.kind} to {who}: {result.outcome}")
