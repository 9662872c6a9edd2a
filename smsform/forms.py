"""WTForms for sign-in, first set-up and the send form (field names as in Cafe24's sample)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from smsform.i18n import t


class BaseForm(FlaskForm):
    """A form whose CSRF token is checked once, app-wide, by CSRFProtect before any view."""

    class Meta:
        csrf = False  # CSRFProtect already refused a bad token; checking twice costs time


class LoginForm(BaseForm):
    """Sign-in with ``username`` and ``password``."""

    username = StringField("username", validators=[DataRequired()])
    password = PasswordField("password", validators=[DataRequired()])


class SetupForm(BaseForm):
    """Create the first administrator."""

    username = StringField("username", validators=[
        DataRequired(), Length(min=3, max=64),
        Regexp(r"^[A-Za-z0-9_.@-]+$", message="영문, 숫자, _ . @ - 만 쓸 수 있습니다.")])
    password = PasswordField("password", validators=[DataRequired(), Length(min=10, max=200)])
    password2 = PasswordField("password2", validators=[
        DataRequired(), EqualTo("password", message="비밀번호가 서로 다릅니다.")])


class SendForm(BaseForm):
    """The sample's send form (names exact); the rules themselves live in cafe24.message."""

    smsType = StringField("smsType", validators=[Optional(), Regexp(r"^[SLsl]?$")])  # noqa: N815
    subject = StringField("subject", validators=[Optional(), Length(max=200)])
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
        names = {
            "msg": ("메시지", "Message"), "subject": ("제목", "Subject"),
            "rphone": ("받는 번호", "Recipients"), "destination": ("이름 목록", "Names"),
            "sphone": ("보내는 번호", "Sender"), "rdate": ("예약 날짜", "Date"),
            "rtime": ("예약 시간", "Time"), "repeatNum": ("반복 횟수", "Repeats"),
            "repeatTime": ("반복 간격", "Interval"),
        }
        ko, en = names.get(field, (field, field))
        return t(ko, en)
