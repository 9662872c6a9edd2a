"""WTForms for sign-in, first set-up and the send form (field names as in Cafe24's sample).

The rules themselves live in services (accounts) and the gateway library (messages);
the forms only read fields and run those rules.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Optional, Regexp, ValidationError

from smsform import messages
from smsform.services import accounts


class BaseForm(FlaskForm):
    """A form whose CSRF token is checked once, app-wide, by CSRFProtect before any view."""

    class Meta:
        csrf = False  # CSRFProtect already refused a bad token; checking twice costs time

    def by_name(self, name: str) -> Field | None:
        """The field submitted as ``name`` (``from`` and ``to`` are not attribute names)."""
        return next((f for f in self if f.name == name), None)


class AccountRule:
    """A validator that runs one rule of ``services.accounts`` and words its refusal."""

    def __init__(self, check: Callable[[str], str]) -> None:
        self.check = check

    def __call__(self, form: FlaskForm, field: Field) -> None:
        try:
            self.check(field.data or "")
        except accounts.AccountError as exc:
            raise ValidationError(messages.refusal_text(exc)) from None


class LoginForm(BaseForm):
    """Sign-in with ``username`` and ``password``."""

    username = StringField("username", validators=[DataRequired()])
    password = PasswordField("password", validators=[DataRequired()])


_SAME = _l("The passwords do not match.")


class SetupForm(BaseForm):
    """Create the first administrator."""

    username = StringField("username", validators=[
        DataRequired(), AccountRule(accounts.check_username)])
    password = PasswordField("password", validators=[
        DataRequired(), AccountRule(accounts.check_password)])
    password2 = PasswordField("password2", validators=[
        DataRequired(), EqualTo("password", message=_SAME)])


class AddUserForm(BaseForm):
    """An administrator adds an account with a first password the person must change."""

    username = StringField("username", validators=[
        DataRequired(), AccountRule(accounts.check_username)])
    role = StringField("role", validators=[DataRequired(), AccountRule(accounts.check_role)])
    password = PasswordField("password", validators=[
        DataRequired(), AccountRule(accounts.check_password)])
    password2 = PasswordField("password2", validators=[
        DataRequired(), EqualTo("password", message=_SAME)])


class RoleForm(BaseForm):
    """Change an account's role."""

    role = StringField("role", validators=[DataRequired(), AccountRule(accounts.check_role)])


class ResetPasswordForm(BaseForm):
    """An administrator sets someone's password (to be changed at their next sign-in)."""

    password = PasswordField("password", validators=[
        DataRequired(), AccountRule(accounts.check_password)])
    password2 = PasswordField("password2", validators=[
        DataRequired(), EqualTo("password", message=_SAME)])


class AccountPasswordForm(BaseForm):
    """The signed-in person changes their own password (the current one first)."""

    current = PasswordField("current", validators=[DataRequired()])
    password = PasswordField("password", validators=[
        DataRequired(), AccountRule(accounts.check_password)])
    password2 = PasswordField("password2", validators=[
        DataRequired(), EqualTo("password", message=_SAME)])


class AuditFilterForm(BaseForm):
    """The audit page's filters (read from the query string; judged by services.audit)."""

    class Meta:
        csrf = False

    action = SelectField("action", choices=[], validate_choice=False)
    actor = StringField("actor")
    start = StringField("from", name="from")
    end = StringField("to", name="to")


#: A person's name for each send field, for the error summary.
FIELD_LABELS = {
    "msg": _l("Message"), "subject": _l("Subject"), "rphone": _l("Recipient numbers"),
    "destination": _l("Names list"), "sphone": _l("Sender number"),
    "rdate": _l("Reservation date"), "rtime": _l("Reservation time"),
    "repeatNum": _l("Repeat count"), "repeatTime": _l("Repeat interval"),
    "groups": _l("Groups"), "contacts": _l("Contacts"),
    "advertising": _l("Advertising"),
}


class SendForm(BaseForm):
    """The sample's send form (names exact); the rules themselves live in the library."""

    smsType = StringField("smsType", validators=[Optional(), Regexp(r"^[SLsl]?$")])  # noqa: N815
    subject = StringField("subject")
    msg = TextAreaField("msg")
    rphone = TextAreaField("rphone")
    destination = TextAreaField("destination")
    sphone = StringField("sphone")  # the select box; split into sphone1..3 on the server too
    sphone1 = HiddenField("sphone1")
    sphone2 = HiddenField("sphone2")
    sphone3 = HiddenField("sphone3")
    rdate = StringField("rdate")
    rtime = StringField("rtime")
    returnurl = HiddenField("returnurl")
    send_token = HiddenField("send_token")  # one-time: one form sends once
    testflag = StringField("testflag")
    nointeractive = StringField("nointeractive")
    repeatFlag = StringField("repeatFlag")  # noqa: N815
    repeatNum = StringField("repeatNum")  # noqa: N815
    repeatTime = StringField("repeatTime")  # noqa: N815
    advertising = StringField("advertising")  # the switch: Y (services.compliance)

    def add_problem(self, field: str, message: str) -> None:
        """Attach a problem to the field it belongs to (``sphone`` covers sphone1..3)."""
        target = getattr(self, field, None) or self.msg
        if not isinstance(target.errors, list):
            target.errors = list(target.errors)
        if message not in target.errors:
            target.errors.append(message)

    @staticmethod
    def error_label(field: str) -> str:
        """A person's name for a field, for the error summary."""
        return str(FIELD_LABELS.get(field, field))


class SendLogFilterForm(BaseForm):
    """The send log's filters (read from the query string; judged by services.sendlog_query)."""

    class Meta:
        csrf = False

    user = StringField("user")
    result = SelectField("result", choices=[], validate_choice=False)
    delivery = SelectField("delivery", choices=[], validate_choice=False)
    q = StringField("q")
    start = StringField("from", name="from")
    end = StringField("to", name="to")


class RelaySiteForm(BaseForm):
    """An administrator issues relay credentials for a site (rules: services.relay_sites)."""

    name = StringField("name", validators=[DataRequired()])
    senders = TextAreaField("senders", validators=[DataRequired()])  # one or more numbers
    daily_limit = StringField("daily_limit")  # credits per Korea-time day; empty: no limit
    allow_ips = TextAreaField("allow_ips")  # CIDRs; empty: any address
    charset = SelectField("charset", choices=list(messages.CHARSET_WORDS.items()),
                          default="auto")
    test_only = BooleanField("test_only")


class ApiTokenForm(BaseForm):
    """A person names a new API token of their own (rules: services.api_tokens)."""

    name = StringField("name", validators=[DataRequired()])
    read_only = BooleanField("read_only")


#: The kind a text goes as, chosen by its length (a template's, a bulk job's).
AUTO_KIND = _l("Auto (SMS up to 90 bytes, else LMS)")


class TemplateForm(BaseForm):
    """A saved text: its name, text, LMS subject, kind and advertising flag (rules:
    services.templates, which judges the text as a send does)."""

    name = StringField("name", validators=[DataRequired()])
    text = TextAreaField("text")
    subject = StringField("subject")
    kind = SelectField("kind", choices=[("auto", AUTO_KIND),
                                        ("sms", _l("SMS only")), ("lms", _l("Always LMS"))],
                       default="auto")
    advertising = BooleanField("advertising")


class ContactForm(BaseForm):
    """A contact by hand (rules: services.contacts): number, name, memo, other fields one a
    line (``name: value``) and its groups (comma-separated)."""

    phone = StringField("phone", validators=[DataRequired()])
    name = StringField("name")
    memo = TextAreaField("memo")
    fields = TextAreaField("fields")
    groups = StringField("groups")


class ContactImportForm(BaseForm):
    """A list file imported into a group (read by services.lists)."""

    group = StringField("group")
    phone_column = StringField("phone_column")
    name_column = StringField("name_column")
    update_names = BooleanField("update_names", default=True)


class GroupForm(BaseForm):
    """A new contact group."""

    name = StringField("name", validators=[DataRequired()])


class OptOutForm(BaseForm):
    """A number put on the opt-out list by hand (rules: services.optouts)."""

    phone = StringField("phone", validators=[DataRequired()])
    memo = StringField("memo")


class OptOutRemoveForm(BaseForm):
    """A number taken off the opt-out list, and why (kept with its history)."""

    phone = StringField("phone", validators=[DataRequired()])
    reason = StringField("reason")


class OptOutImportForm(BaseForm):
    """Numbers for the opt-out list from a file (read by services.lists) or pasted."""

    paste = TextAreaField("paste")
    phone_column = StringField("phone_column")
    memo = StringField("memo")


class JobForm(BaseForm):
    """A bulk job's list (a file in ``file``, or pasted) and its message (judged by
    services.bulk_check): the sender, text, LMS subject, kind, test and advertising
    switches, a start time (Korea time) and, optionally, which columns to read."""

    sender = StringField("sender")  # the select of registered numbers
    text = TextAreaField("text")
    subject = StringField("subject")
    kind = SelectField("kind", choices=[("auto", AUTO_KIND), ("S", _l("SMS only")),
                                        ("L", _l("Always LMS"))],
                       default="auto")
    test = BooleanField("test")
    advertising = BooleanField("advertising")
    send_date = StringField("send_date")
    send_time = StringField("send_time")
    paste = TextAreaField("paste")
    phone_column = StringField("phone_column")
    name_column = StringField("name_column")


class JobColumnsForm(BaseForm):
    """The columns a checked job's stored list is read again with."""

    phone_column = StringField("phone_column")
    name_column = StringField("name_column")
