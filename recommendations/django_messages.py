"""Django's own messages that its Vietnamese catalogues leave untranslated, listed here so that
``make messages`` keeps them in our catalogue with their Vietnamese translations.

``DJANGO_MESSAGES`` are those of Django's core catalogue. They reach people: a NUL character in
an API field ("Null characters are not allowed."), a malformed date or number in an admin form or
an import. (The CSRF failure page's are not: ``views.csrf_failure`` replaces that page with our
own, ``403_csrf.html``.) Our locale directory comes first
(``LOCALE_PATHS``), so our translations are used; the English catalogue keeps Django's wording.
``tests/test_api_messages.py`` checks that each is exactly a msgid that the installed Django
leaves untranslated in Vietnamese. Language names and the development server's welcome page are
left out: nobody here sees them. (Django's one plural among them, "Please submit %d or more
forms.", needs an inline with a minimum, which the admin has not.)

``DJANGO_ADMIN_MESSAGES`` and ``DJANGO_ADMIN_PLURAL_MESSAGES`` do the same for the catalogues of
``django.contrib.admin``, ``auth`` and ``sessions``: the admin's page furniture ("Skip to main
content", "Show counts", the theme toggle, the navigation sidebar, the index's "Added:" labels),
the user admin's password pages and forms, the object history's "entry"/"entries", the password
length check, and the sessions app's name in the permission lists. ``tests/test_admin_messages.py``
checks them against the installed Django, and that nothing else in those catalogues is left in
English but what is left out here:

- the password-reset pages' strings ("Forgotten your login credentials?" on the login page, the
  reset email's "In case you’ve forgotten, you are:"): the admin links to password reset only when
  a URL named ``admin_password_reset`` exists, and none does here (``tracker/urls.py``);
- the ASCII username rule: our ``User`` keeps ``AbstractUser``'s Unicode one, which is translated;
- ``contenttypes``' two messages, from the "view on site" redirect (``/admin/r/…``): no model here
  has ``get_absolute_url``, so nothing links to it, and its 404 message shows only on DEBUG's page.

The admin's JavaScript strings (the date picker's day names, the two-box selector for groups and
permissions) are in another domain, ``djangojs``, which ``makemessages`` would only find in a
``.js`` file. So ``recommendations/locale/{vi,en}/LC_MESSAGES/djangojs.po`` are written by hand:
``make messages`` runs ``makemessages`` for the ``django`` domain only, which leaves them alone,
and ``compilemessages`` compiles them. The admin's ``jsi18n`` view (``JavaScriptCatalog`` for
``django.contrib.admin``) builds a ``DjangoTranslation`` that merges the admin's catalogue first
and ``LOCALE_PATHS`` after it, and the last merged wins: ours fills the gaps, Django's other
translations stay.
"""

# ruff: noqa: E501 -- each msgid is kept whole, as in Django's source, to be found by searching it.

from __future__ import annotations

from django.utils.translation import gettext_noop, ngettext_lazy

DJANGO_MESSAGES = (
    gettext_noop("That page number is not an integer"),
    gettext_noop("That page number is less than 1"),
    gettext_noop("That page contains no results"),
    gettext_noop("Enter a valid “slug” consisting of letters, numbers, underscores or hyphens."),
    gettext_noop("Enter a valid “slug” consisting of Unicode letters, numbers, underscores, or hyphens."),
    gettext_noop(
        "File extension “%(extension)s” is not allowed. Allowed extensions are: %(allowed_extensions)s."
    ),
    gettext_noop("Null characters are not allowed."),
    gettext_noop("“%(value)s” value must be either True or False."),
    gettext_noop("“%(value)s” value must be either True, False, or None."),
    gettext_noop("“%(value)s” value has an invalid date format. It must be in YYYY-MM-DD format."),
    gettext_noop("“%(value)s” value has the correct format (YYYY-MM-DD) but it is an invalid date."),
    gettext_noop(
        "“%(value)s” value has an invalid format. It must be in YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ] format."
    ),
    gettext_noop(
        "“%(value)s” value has the correct format (YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ]) but it is an invalid date/time."
    ),
    gettext_noop("“%(value)s” value must be a decimal number."),
    gettext_noop("“%(value)s” value has an invalid format. It must be in [DD] [[HH:]MM:]ss[.uuuuuu] format."),
    gettext_noop("“%(value)s” value must be a float."),
    gettext_noop("“%(value)s” value must be an integer."),
    gettext_noop("“%(value)s” value must be either None, True or False."),
    gettext_noop("“%(value)s” value has an invalid format. It must be in HH:MM[:ss[.uuuuuu]] format."),
    gettext_noop("“%(value)s” value has the correct format (HH:MM[:ss[.uuuuuu]]) but it is an invalid time."),
    gettext_noop("“%(value)s” is not a valid UUID."),
    gettext_noop("Value must be valid JSON."),
    gettext_noop("%(model)s instance with %(field)s %(value)r does not exist."),
    gettext_noop("Enter a valid duration."),
    gettext_noop("The number of days must be between {min_days} and {max_days}."),
    gettext_noop("Enter a complete value."),
    gettext_noop("Enter a valid UUID."),
    gettext_noop("Enter a valid JSON."),
    gettext_noop("ManagementForm data is missing or has been tampered with"),
    gettext_noop("The inline value did not match the parent instance."),
    gettext_noop("“%(pk)s” is not a valid value."),
    gettext_noop(
        "%(datetime)s couldn’t be interpreted in time zone %(current_timezone)s; it may be ambiguous or it may not exist."
    ),
    gettext_noop("This is not a valid IPv6 address."),
)

# django.contrib.admin, auth and sessions (a msgid in both admin's and auth's catalogue once).
DJANGO_ADMIN_MESSAGES = (
    # The admin's pages: skip link, breadcrumbs, sidebar, theme toggle, index, lists, forms.
    gettext_noop("Skip to main content"),
    gettext_noop("Breadcrumbs"),
    gettext_noop("Toggle navigation"),
    gettext_noop("Sidebar"),
    gettext_noop("Filter navigation items"),
    gettext_noop("Toggle theme (current theme: auto)"),
    gettext_noop("Toggle theme (current theme: light)"),
    gettext_noop("Toggle theme (current theme: dark)"),
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("Added:"),
    gettext_noop("Changed:"),
    gettext_noop("Deleted:"),
    gettext_noop("Hide counts"),
    gettext_noop("Show counts"),
    gettext_noop("Select all objects on this page for an action"),
    gettext_noop("Select this object for an action - {}"),
    gettext_noop("Error:"),
    gettext_noop("View selected %(model)s"),
    # The user admin: adding a user, the password field and the password page.
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
    gettext_noop("Set password"),
    gettext_noop("Set password: %s"),
    gettext_noop("Reset password"),
    gettext_noop("Raw passwords are not stored, so there is no way to see the user’s password."),
    gettext_noop("Password-based authentication"),
    gettext_noop("Enabled"),
    gettext_noop("Disabled"),
    gettext_noop(
        "Whether the user will be able to authenticate using a password or not. If disabled, they may still be able to authenticate using other backends, such as Single Sign-On or LDAP."
    ),
    gettext_noop("Enable password-based authentication for this user by setting a password."),
    gettext_noop("This action will <strong>enable</strong> password-based authentication for this user."),
    gettext_noop("Enable password-based authentication"),
    gettext_noop("Disable password-based authentication"),
    gettext_noop("Password-based authentication was disabled."),
    gettext_noop("Conflicting form data submitted. Please try again."),
    # The sessions app's name, in the permission lists ("Sessions | session | …").
    gettext_noop("Sessions"),
)

# Translated by Django's Vietnamese catalogue, but wrongly for this admin: "History", the button
# and breadcrumb of an item's history page, reads "Bản ghi nhớ" (a memo) there.
DJANGO_ADMIN_RETRANSLATED_MESSAGES = (gettext_noop("History"),)

# Their plurals (Vietnamese has one form). ``ngettext_lazy`` is what makemessages reads as a
# plural; nothing formats these.
DJANGO_ADMIN_PLURAL_MESSAGES = (
    ngettext_lazy("entry", "entries"),  # the object history page's "12 entries"
    # Above every form with errors. Django's Vietnamese catalogue has both sentences, but as two
    # plain messages, and the admin's templates ask for the plural pair: it stayed in English.
    ngettext_lazy("Please correct the error below.", "Please correct the errors below."),
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
    ),
)
