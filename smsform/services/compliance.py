"""The one judge of the law on a send (정보통신망법 제50조): every way in reaches it through
``sending.submit``, before the intent is logged, so no way in can skip a rule.

``judge(request, advertising, now)`` answers a ``Judged``: the request to send (for an
advertisement switched on, its text built with ``(광고)``, the sender's name and the free
opt-out line), whether the law sees an advertisement, the recipients excluded before the
call (with why), notices that do not stop the send, and the problems that do (the send is
then refused as invalid: nothing is logged, nothing is called).

What it checks, in ``STEPS`` order (each a ``Step``: ``(Judged, Context) -> Judged``):

1. ``label``: an advertising switch builds the text; a text that already starts with
   ``(광고)`` is an advertisement on any way in and is checked as written (the sender's name
   right after the label, the free opt-out line at the end); the label's variants that
   carriers block (``(광 고)``, ``[광고]``, ``（광고）``...) are refused with the right
   spelling, and so is a label that is not at the very start.
2. ``night``: an advertisement that would reach phones between 21:00 and 08:00 Korea time
   (sent now, reserved, or any repeat) is refused, saying when it could go
   (``night_resumes``, which a bulk job reuses to pause at 21:00).

3. ``opt_outs``: the opt-out list (``services.optouts``): an advertisement's opted-out
   recipients are excluded before the call (all of them: refused, no call); any other
   send gets a notice of how many of its numbers opted out.

A bulk job judges its check page and each batch with the same ``judge``.

Cheap on the hot path: a text without "광" in its first ``HEAD`` characters, with the
switch off, is no advertisement; that costs one slice and one ``in``. The one database
read is the opt-out step's: one indexed ``SELECT phone FROM optouts WHERE phone IN (...)``
for all of a send's numbers. No words: the problems are codes with parameters, worded by
``smsform.messages``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from functools import cached_property

from flask import current_app

from cafe24 import wire
from cafe24.calls import SendRequest
from cafe24.schedule import KST
from cafe24.text import Problem
from smsform.services import optouts

#: The label an advertisement starts with: half-width parentheses, no space inside.
LABEL = "(광고)"
#: The opt-out line's words, before the free number.
OPTOUT_WORDS = "무료수신거부"
#: What is trimmed around a text an advertisement is built around (as the script trims).
BLANKS = " \t\n"
#: How many characters of a text are looked at for a label (written or misspelt).
HEAD = 30
#: The night window in Korea time: advertisements may not reach phones from 21:00 to 08:00.
NIGHT_START, NIGHT_END = time(21, 0), time(8, 0)
#: The settings an advertisement needs.
SENDER_NAME_SETTING = "SMSFORM_AD_SENDER_NAME"
OPTOUT_NUMBER_SETTING = "SMSFORM_AD_OPTOUT_NUMBER"

#: Every ``Problem.code`` this judge reports (worded in ``smsform.messages.compliance``).
PROBLEM_CODES = (
    "ad_setting_missing",  # setting: the variable an advertising send needs
    "ad_label_variant",  # written: the label as written; right: LABEL
    "ad_label_not_first",  # written: the text before the label; right: LABEL
    "ad_label_after_blank",  # right: LABEL (only spaces or blank lines come before it)
    "ad_sender_name_missing",  # name: the sender's name expected after the label
    "ad_optout_missing",  # line: the opt-out line expected at the end
    "ad_night",  # at, resume (YYYY-MM-DD HH:MM, Korea time), start, end (HH:MM)
)
#: The gateway's code for each problem, for an edge that answers in the gateway's codes
#: (the relay): ``3224`` is the gateway's own "advertisement after 21:00", ``0003`` its
#: "message format".
GATEWAY_CODES = {
    "ad_setting_missing": "0003",
    "ad_label_variant": "0003",
    "ad_label_not_first": "0003",
    "ad_label_after_blank": "0003",
    "ad_sender_name_missing": "0003",
    "ad_optout_missing": "0003",
    "ad_night": "3224",
}

_OPENERS = re.escape("([{（［｛【〔〈《「『<＜")
_CLOSERS = re.escape(")]}）］｝】〕〉》」』>＞")
_QUOTES = re.escape("\"'“”‘’＂＇「」『』`")
_SEPARATORS = r"\s" + re.escape(".·ㆍ/\\-_*,~:;|＿・+=")
#: A label as carriers see one: an opening bracket, perhaps quotes and a word or two, 광
#: and 고 with anything between them that only separates, perhaps quotes, a closing
#: bracket. ``(광고)`` itself matches too: where and how it is written decides.
_LABEL_LIKE = re.compile(
    rf"[{_OPENERS}][\s{_QUOTES}]*[가-힣]{{0,4}}?광[{_SEPARATORS}{_QUOTES}]*고"
    rf"[\s{_QUOTES}]*[{_CLOSERS}]")
#: The free opt-out line as the last line: 무료(수신)거부, spaces and brackets tolerated,
#: then an 080 number.
_OPTOUT_LINE = re.compile(
    r"[\[(【<]?\s*무료\s*(?:수신\s*)?거부\s*[\])】>]?\s*[:：]?\s*"
    r"(080[-\s.]?\d{3,4}[-\s.]?\d{4})\s*$")
#: Around a sender's name after the label: spaces and an opening bracket may come first.
_NAME_LEAD = " \t[【<("


@dataclass(frozen=True)
class AdRules:
    """What an advertisement carries here: the sender's name and the free opt-out number
    (``""`` when the setting is not made)."""

    sender_name: str = ""
    optout_number: str = ""

    @classmethod
    def of_app(cls) -> AdRules:
        """The running app's settings."""
        settings = current_app.extensions["smsform.settings"]
        return cls(settings.ad_sender_name, settings.ad_optout_number)

    @property
    def optout_line(self) -> str:
        """The line an advertisement ends with: ``무료수신거부 080-123-4567``."""
        return f"{OPTOUT_WORDS} {self.optout_number}"

    def missing(self) -> tuple[str, ...]:
        """The settings an advertising send needs and lacks, by variable name."""
        return tuple(name for name, value in ((SENDER_NAME_SETTING, self.sender_name),
                                              (OPTOUT_NUMBER_SETTING, self.optout_number))
                     if not value)

    def build(self, text: str) -> str:
        """The text the law wants around ``text``: the label and the name on the first
        line, then the text (without blank lines around it), then the opt-out line. The
        form's script builds the same (static/js/form/advertising.js)."""
        return "\n".join((LABEL + self.sender_name, text.strip(BLANKS), self.optout_line))


@dataclass(frozen=True)
class Excluded:
    """A recipient removed before the call, and why (``opted_out``)."""

    phone: str
    reason: str


@dataclass(frozen=True)
class Judged:
    """What the judge made of a send: the request to send, whether it is an advertisement,
    who was excluded, notices (a send that goes on, with something to say) and problems
    (the send is refused)."""

    request: SendRequest
    advertising: bool = False
    excluded: tuple[Excluded, ...] = ()
    notices: tuple[Problem, ...] = ()
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        """True when nothing stops the send."""
        return not self.problems

    def refused(self, *problems: Problem) -> Judged:
        """This judgement with ``problems`` added."""
        return replace(self, problems=(*self.problems, *problems))


class Context:
    """What a step judges with: the advertising switch, the time now (aware, Korea time)
    and the advertising settings, each read only when a step asks for it."""

    def __init__(self, switch: bool, when: datetime | None = None,
                 rules: AdRules | None = None) -> None:
        self.switch = switch
        self._when = when
        self._rules = rules

    @cached_property
    def now(self) -> datetime:
        """The time the send is judged at."""
        return self._when.astimezone(KST) if self._when is not None else now()

    @cached_property
    def rules(self) -> AdRules:
        """The advertising settings (the app's, unless the caller gave some)."""
        return self._rules if self._rules is not None else AdRules.of_app()


#: One step of the judgement.
Step = Callable[[Judged, Context], Judged]


def _may_be_labelled(text: str) -> bool:
    """The hot path's test: only a text with 광 near its start can hold a label."""
    return "광" in text[:HEAD]


def label(judged: Judged, context: Context) -> Judged:
    """Step 1: build an advertisement switched on, or check one written as such."""
    text = judged.request.text
    if not context.switch and not _may_be_labelled(text):
        return judged
    found = _LABEL_LIKE.search(text[:HEAD])
    if found is not None and found.group() != LABEL:
        return replace(judged, advertising=True).refused(Problem(
            "msg", "ad_label_variant", {"written": found.group(), "right": LABEL}))
    if found is not None and found.start() > 0:
        before = text[:found.start()].strip()
        return replace(judged, advertising=True).refused(
            Problem("msg", "ad_label_not_first", {"written": before, "right": LABEL})
            if before else Problem("msg", "ad_label_after_blank", {"right": LABEL}))
    if found is None and not context.switch:
        return judged  # 광 near the start, but no label: not written as an advertisement
    judged = replace(judged, advertising=True)
    missing = context.rules.missing()
    if missing:
        return judged.refused(*(Problem("advertising", "ad_setting_missing",
                                        {"setting": name}) for name in missing))
    if found is None:  # the switch: the app writes the label, the name and the line
        if not judged.request.msg.strip(BLANKS):
            return judged  # nothing to build around: the request's own judge says so
        built = context.rules.build(judged.request.msg)
        return replace(judged, request=replace(judged.request, msg=built))
    return judged.refused(*_written_problems(text, context.rules))


def _written_problems(text: str, rules: AdRules) -> list[Problem]:
    """What an advertisement written by hand lacks: its sender's name right after the
    label, its free opt-out line at the end."""
    problems = []
    after = text[len(LABEL):].lstrip(_NAME_LEAD)
    if not after.startswith(rules.sender_name):
        problems.append(Problem("msg", "ad_sender_name_missing", {"name": rules.sender_name}))
    if _OPTOUT_LINE.search(text.rstrip()) is None:
        problems.append(Problem("msg", "ad_optout_missing", {"line": rules.optout_line}))
    return problems


def reach_times(request: SendRequest, now: datetime) -> list[datetime]:
    """When the send reaches phones (Korea time): now or its reservation, then each
    repeat, ``repeat_minutes`` apart (the gateway sends ``repeat_num`` times in all)."""
    start = (request.reserve_at or now).astimezone(KST)
    times = request.repeat_num or 1
    step = timedelta(minutes=request.repeat_minutes or 0)
    return [start + step * i for i in range(times)]


def in_night(when: datetime) -> bool:
    """True from 21:00 up to 07:59:59 Korea time (20:59 and 08:00 are day)."""
    clock = when.astimezone(KST).time()
    return clock >= NIGHT_START or clock < NIGHT_END


def night_resumes(when: datetime) -> datetime | None:
    """The next 08:00 Korea time when ``when`` is in the night window, else None (a running
    bulk job pauses at 21:00 and says when it may resume)."""
    if not in_night(when):
        return None
    kst = when.astimezone(KST)
    day = kst.date() if kst.time() < NIGHT_END else kst.date() + timedelta(days=1)
    return datetime.combine(day, NIGHT_END, tzinfo=KST)


def _minute(when: datetime) -> str:
    return when.astimezone(KST).strftime("%Y-%m-%d %H:%M")


def night(judged: Judged, context: Context) -> Judged:
    """Step 2: an advertisement that would reach phones at night is refused."""
    if not judged.advertising:
        return judged
    request = judged.request
    for index, when in enumerate(reach_times(request, context.now)):
        resume = night_resumes(when)
        if resume is not None:
            where = ("repeatNum" if index else "rtime" if request.reserve_at is not None
                     else "advertising")
            return judged.refused(Problem(where, "ad_night", {
                "at": _minute(when), "resume": _minute(resume),
                "start": NIGHT_START.strftime("%H:%M"), "end": NIGHT_END.strftime("%H:%M")}))
    return judged


def opt_outs(judged: Judged, context: Context) -> Judged:
    """Step 3: the opt-out list (``optouts.screen``, one indexed query). An advertisement
    never reaches an opted-out number: each is excluded before the call, and one whose
    every recipient opted out is refused (no call). Any other send goes to them all, with
    a notice of how many opted out. A send refused already asks nothing."""
    if judged.problems:
        return judged
    screened = optouts.screen(judged.request, judged.advertising)
    if screened is None:
        return judged
    where = "destination" if screened.request.named else "rphone"
    count = len(screened.opted_out)
    if not screened.removed:
        return replace(judged, notices=(*judged.notices, Problem(
            where, optouts.OPTED_OUT_NOTICE, {"count": count})))
    excluded = tuple(Excluded(phone, "opted_out") for phone in screened.opted_out)
    if screened.nobody_left:  # the request kept whole: its own judge finds nothing missing
        return replace(judged, excluded=excluded).refused(
            Problem(where, optouts.ALL_OPTED_OUT, {"count": count}))
    return replace(judged, request=screened.request, excluded=excluded)


#: The steps of every judgement, in order. The one place to add a step: the opt-out
#: list's goes after ``night`` (it removes recipients; a refused send removes nobody).
STEPS: list[Step] = [label, night, opt_outs]


def refused_by_law(problems: Iterable[Problem]) -> Problem | None:
    """The first of a refused send's problems when every one is this judge's (the API
    answers it 422 with its code), else None (an input problem comes first)."""
    problems = list(problems)
    if problems and all(p.code in GATEWAY_CODES or p.code == optouts.ALL_OPTED_OUT
                        for p in problems):
        return problems[0]
    return None


def minute_at(value: str) -> datetime:
    """A problem's ``at`` or ``resume`` (``YYYY-MM-DD HH:MM``, Korea time) as a time."""
    return datetime.strptime(value, "%Y-%m-%d %H:%M").replace(tzinfo=KST)


#: The order in which the gateway's codes for the judge's problems are answered: a
#: malformed advertisement before the hour it would be sent at.
_GATEWAY_ORDER = ("0003", "3224")


def gateway_code(problems: Iterable[Problem]) -> str:
    """The one gateway code for a refused send's problems, for an edge that answers in the
    gateway's codes (the relay): the library's own problems first, as the gateway checks
    them (``cafe24.wire.problems_code``), then ``0003`` for a malformed advertisement,
    then ``3224`` for the night rule."""
    problems = list(problems)
    own = [p.code for p in problems if p.code not in GATEWAY_CODES]
    if own:
        return wire.problems_code(own)
    found = {GATEWAY_CODES[p.code] for p in problems}
    return next((code for code in _GATEWAY_ORDER if code in found), wire.problems_code(()))


def now() -> datetime:
    """The time a send is judged at (aware): the app's clock (``SMSFORM_CLOCK`` in a test's
    config, a callable) or the system's."""
    clock = current_app.config.get("SMSFORM_CLOCK")
    return (clock() if clock is not None else datetime.now(KST)).astimezone(KST)


def judge(request: SendRequest, advertising: bool = False, when: datetime | None = None,
          rules: AdRules | None = None) -> Judged:
    """Judge one send (see the module's doc): ``advertising`` is the switch, ``when`` the
    time now (None: ``now()``), ``rules`` the advertising settings (None: the app's)."""
    context = Context(advertising, when, rules)
    judged = Judged(request)
    for step in STEPS:
        judged = step(judged, context)
    return judged
