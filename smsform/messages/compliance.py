"""Words for the law's judge of a send (``services.compliance``): why an advertisement was
refused, and what to write or when to send instead."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

#: Each problem the judge reports, by its code (``compliance.PROBLEM_CODES``).
COMPLIANCE_SENTENCES: dict[str, LazyString] = {
    "ad_setting_missing": _l(
        "Advertising sends are not set up: the server's setting %(setting)s is missing. "
        "An administrator must set it before an advertisement can be sent. Nothing was "
        "sent."),
    "ad_label_variant": _l(
        "An advertisement must start with %(right)s exactly (half-width parentheses, "
        "nothing inside but 광고): carriers block %(written)s. Write %(right)s instead."),
    "ad_label_not_first": _l(
        "An advertisement must start with %(right)s: move it to the very start, before "
        "\u201c%(written)s\u201d."),
    "ad_label_after_blank": _l(
        "An advertisement must start with %(right)s itself: remove the spaces or blank "
        "lines before it."),
    "ad_sender_name_missing": _l(
        "An advertisement must name its sender right after (광고): write (광고)%(name)s at "
        "the start, or tick Advertising and let the app write it."),
    "ad_optout_missing": _l(
        "An advertisement must end with its free opt-out line: add \u201c%(line)s\u201d as "
        "the last line, or tick Advertising and let the app write it."),
    "ad_night": _l(
        "Advertisements may not reach phones from %(start)s to %(end)s Korea time without "
        "a separate consent; this one would at %(at)s. Send or reserve it for %(resume)s "
        "or later."),
}
