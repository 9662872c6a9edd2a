"""Drive the public cafe24-sms-Django client, unmodified, against a relay (run by
tests/test_relay.py with the client's own Python, in its own virtual environment).

Usage: drive.py BASE_URL USER_ID SECURE SENDER ACTION [ARG ...]; prints one JSON line.
Django is configured with the least the client reads (its CAFE24_SMS_SETTINGS, a time
zone); the only other change is the one every site makes: the gateway's URL, which the
client keeps in two class attributes (``sms_url`` in the vendor samples).
"""

import json
import sys
from datetime import datetime, timedelta

from django.conf import settings


def main() -> None:
    base, user_id, secure, sender, action, *args = sys.argv[1:]
    settings.configure(
        USE_TZ=True, TIME_ZONE="Asia/Seoul",
        CAFE24_SMS_SETTINGS={"USER_ID": user_id, "SECURE_KEY": secure, "SENDER": sender,
                             "CHARSET": "euc-kr", "REQUEST_TIMEOUT": 10.0})
    import django

    django.setup()
    import cafe24_sms
    from cafe24_sms.exceptions import SMSModuleException
    from cafe24_sms.request import RequestBase

    RequestBase.SMS_SEND_URL = base + "/relay/sms_sender.php"
    RequestBase.SEND_RESULT_URL = base + "/relay/sms_list.php"
    try:
        if action == "send":
            code, remaining = cafe24_sms.send_message(message=args[0], receiver=args[1:])
            out = {"code": code, "remaining": remaining}
        elif action == "reserve":
            when = datetime.now().astimezone() + timedelta(minutes=30)
            code, remaining = cafe24_sms.reserve_message(message=args[0], receiver=args[1:],
                                                         reservation_time=when)
            out = {"code": code, "remaining": remaining}
        elif action == "results":
            data = cafe24_sms.result_check(start_date=datetime.now().astimezone(),
                                           send_status="", check_range=1)
            out = {"total": data.get_total_count(),
                   "records": [{**r, "send_datetime": r["send_datetime"].isoformat()}
                               for r in data.get_records()]}
        else:
            raise SystemExit(f"unknown action {action}")
    except SMSModuleException as exc:
        out = {"error": type(exc).__name__, "code": exc.code, "message": exc.message}
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
