import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Create the first administrator with a generated password, printed once, "
        "unless a superuser already exists."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--email", default="admin@example.org")

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write("An administrator exists already; no new password was generated.")
            return
        password = secrets.token_urlsafe(16)
        User.objects.create_superuser(username=options["username"], email=options["email"], password=password)
        self.stdout.write(
            self.style.WARNING(
                "First administrator created. This password is shown only once:\n"
                f"    username: {options['username']}\n    password: {password}"
            )
        )
