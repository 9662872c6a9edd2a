"""Every answer code of the Cafe24 SMS gateway, with Korean and English meanings.

The tables follow Cafe24's own documentation of the gateway (its SMS hosting manual and
PHP sample; docs/gateway.md says what the library relies on, and tests/cafe24/test_codes.py
pins every code); the Korean wording follows the vendor's manual, rewritten as plain,
polite sentences for office staff.
Nothing here talks to the network: it only turns a code into words.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DELIVERY_CODES",
    "LIST_CODES",
    "REMAIN_CODES",
    "SEND_CODES",
    "CodeInfo",
    "describe_delivery",
    "describe_list",
    "describe_remain",
    "describe_send",
]

_SUPPORT_KO = "계속되면 카페24 고객센터에 문의하세요."
_SUPPORT_EN = "If it keeps happening, ask Cafe24 support."
_RETRY_KO = "잠시 후 다시 시도하고, " + _SUPPORT_KO
_RETRY_EN = "Try again in a while. " + _SUPPORT_EN


@dataclass(frozen=True)
class CodeInfo:
    """One gateway answer code and what it means, in Korean and English."""

    code: str
    ko: str
    en: str
    known: bool = True
    hint_ko: str = ""
    hint_en: str = ""

    def text(self, lang: str = "ko") -> str:
        """Return the meaning, followed by the hint if any, in ``lang`` ("ko" or "en")."""
        if str(lang or "").strip().lower().startswith("en"):
            meaning, hint = self.en, self.hint_en
        else:
            meaning, hint = self.ko, self.hint_ko
        return f"{meaning} {hint}" if hint else meaning


def _table(*infos: CodeInfo) -> dict[str, CodeInfo]:
    """Build a code -> info table, refusing duplicate codes."""
    table: dict[str, CodeInfo] = {}
    for info in infos:
        if info.code in table:  # pragma: no cover - guards the tables below
            raise ValueError(f"duplicate code {info.code!r}")
        table[info.code] = info
    return table


# --- sms_sender.php -------------------------------------------------------------------

_AUTH_FAILED = CodeInfo(
    "-102",
    "인증에 실패했습니다. SMS 아이디와 인증키를 확인하세요.",
    "Authentication failed. Check the SMS account id and the key.",
    hint_ko="설정에 넣은 SMS 아이디와 인증키가 카페24에서 발급받은 값과 같은지 확인하세요.",
    hint_en="Make sure the configured SMS id and key are exactly the ones Cafe24 issued.",
)

_SERVER_ERROR = CodeInfo(
    "-100",
    "카페24 서버에 오류가 발생했습니다.",
    "Cafe24 server error.",
    hint_ko=_RETRY_KO,
    hint_en=_RETRY_EN,
)

_SMS_RESULT_CODES: tuple[CodeInfo, ...] = (
    CodeInfo(
        "3201",
        "발송 시각에 오류가 있습니다.",
        "Send time error.",
    ),
    CodeInfo(
        "3202",
        "휴대폰 번호에 오류가 있습니다.",
        "Phone number error.",
        hint_ko="받는 번호를 다시 확인하세요.",
        hint_en="Check the recipient number.",
    ),
    CodeInfo(
        "3203",
        "메시지의 Base64 인코딩에 오류가 있습니다.",
        "The message's Base64 encoding is invalid.",
    ),
    CodeInfo(
        "3204",
        "회신번호(CallBack)의 Base64 인코딩에 오류가 있습니다.",
        "The callback number's Base64 encoding is invalid.",
    ),
    CodeInfo(
        "3205",
        "번호 형식이 올바르지 않습니다.",
        "Invalid number format.",
        hint_ko="번호를 010-1234-5678처럼 숫자와 '-'로만 적어 주세요.",
        hint_en="Write numbers with digits and dashes only, e.g. 010-1234-5678.",
    ),
    CodeInfo(
        "3206",
        "전송에 성공했습니다.",
        "Delivered.",
    ),
    CodeInfo(
        "3207",
        "받는 번호가 비가입자, 결번 또는 서비스 정지 상태입니다.",
        "The recipient number is unsubscribed, unused or suspended.",
    ),
    CodeInfo(
        "3208",
        "받는 사람의 휴대폰이 꺼져 있습니다.",
        "The recipient's handset is switched off.",
    ),
    CodeInfo(
        "3209",
        "받는 사람이 통신 음영 지역에 있습니다.",
        "The recipient is out of coverage.",
    ),
    CodeInfo(
        "3210",
        "받는 사람의 휴대폰 메시지 저장 공간이 가득 찼습니다.",
        "The recipient's handset message memory is full.",
    ),
    CodeInfo(
        "3211",
        "이동통신사 쪽 오류입니다.",
        "Carrier error.",
    ),
    CodeInfo(
        "3213",
        "번호 이동과 관련된 오류입니다.",
        "The number has been ported to another carrier.",
    ),
    CodeInfo(
        "3214",
        "무선망 오류입니다.",
        "Radio network error.",
    ),
    CodeInfo(
        "3217",
        "조합 메시지의 형식이 올바르지 않습니다.",
        "Combined message format error.",
    ),
    CodeInfo(
        "3218",
        "중복된 메시지입니다.",
        "Duplicate message.",
    ),
    CodeInfo(
        "3219",
        "월 발송 건수를 초과했습니다.",
        "Monthly sending limit exceeded.",
    ),
    CodeInfo(
        "3220",
        "원인을 알 수 없는 오류입니다(UNKNOWN).",
        "Unknown error (UNKNOWN).",
        hint_ko=_SUPPORT_KO,
        hint_en=_SUPPORT_EN,
    ),
    CodeInfo(
        "3221",
        "받는 번호의 자릿수가 맞지 않습니다.",
        "The recipient number has the wrong number of digits.",
    ),
    CodeInfo(
        "3222",
        "받는 번호의 국번이 존재하지 않습니다.",
        "The recipient number's exchange does not exist.",
    ),
    CodeInfo(
        "3223",
        "광고 메시지에 수신 거부 안내가 없습니다.",
        "The advertising message has no opt-out text.",
        hint_ko="광고 문자에는 무료 수신 거부 방법을 함께 적어 보내세요.",
        hint_en="Advertising messages must include a free opt-out method.",
    ),
    CodeInfo(
        "3224",
        "밤 9시(21시) 이후에는 광고 메시지를 보낼 수 없습니다.",
        "Advertising messages cannot be sent after 21:00.",
        hint_ko="광고 문자는 다음 날 오전 8시 이후로 예약해 보내세요.",
        hint_en="Reserve advertising messages for 08:00 the next day or later.",
    ),
)

SEND_CODES: dict[str, CodeInfo] = _table(
    CodeInfo(
        "success",
        "즉시 발송 요청이 접수되었습니다.",
        "Accepted for immediate sending.",
    ),
    CodeInfo(
        "reserved",
        "예약 발송이 접수되었습니다.",
        "Reservation accepted.",
    ),
    CodeInfo(
        "test",
        "테스트 요청이 정상 접수되었습니다. 실제로 보내지 않았고 건수도 차감되지 않았습니다.",
        "Test accepted; nothing was sent and no credit was used.",
    ),
    _SERVER_ERROR,
    CodeInfo(
        "-101",
        "필수 항목이 빠졌습니다.",
        "A required field is missing.",
        hint_ko="받는 번호, 보내는 번호, 메시지 내용을 모두 입력했는지 확인하세요.",
        hint_en="Check that recipients, sender number and message are all filled in.",
    ),
    _AUTH_FAILED,
    CodeInfo(
        "-105",
        "예약 시간이 올바르지 않습니다.",
        "Invalid reservation time.",
        hint_ko="예약은 지금부터 10분 이후의 시각으로만 할 수 있습니다.",
        hint_en="A reservation must be at least 10 minutes ahead.",
    ),
    CodeInfo(
        "-110",
        "한 번에 1,000명 이상에게 보낼 수 없습니다.",
        "Cannot send to 1,000 or more recipients at once.",
        hint_ko="받는 사람을 999명 이하로 나누어 보내세요.",
        hint_en="Split the recipients into batches of at most 999.",
    ),
    CodeInfo(
        "-114",
        "등록·인증되지 않은 발신번호입니다.",
        "The sender number is not registered or approved.",
        hint_ko=(
            "카페24 > 나의서비스관리 > 발신번호 관리에서 등록·인증을 마친 번호만 쓸 수 있습니다."
        ),
        hint_en=(
            "Only numbers whose registration is complete in Cafe24 > My services > "
            "Sender numbers can be used."
        ),
    ),
    CodeInfo(
        "-201",
        "문자 잔여 건수가 부족합니다.",
        "Not enough SMS credit.",
        hint_ko="카페24에서 건수를 충전한 뒤 다시 보내세요. (받는 사람마다 SMS 1건, LMS 3건)",
        hint_en="Top up the credit at Cafe24 and send again (per recipient: SMS 1, LMS 3).",
    ),
    CodeInfo(
        "-202",
        "'됬' 글자는 보낼 수 없습니다.",
        "The character '됬' is refused.",
        hint_ko="'됬'을 맞춤법에 맞는 '됐'으로 고쳐서 보내세요.",
        hint_en="Replace '됬' with the correct spelling '됐'.",
    ),
    CodeInfo(
        "-203",
        "대량 발송 중 오류가 발생했습니다.",
        "Bulk send error.",
        hint_ko=_SUPPORT_KO,
        hint_en=_SUPPORT_EN,
    ),
    CodeInfo(
        "0001",
        "서비스 번호에 오류가 있습니다.",
        "Service number error.",
        hint_ko=_SUPPORT_KO,
        hint_en=_SUPPORT_EN,
    ),
    CodeInfo(
        "0002",
        "메시지 구성 요소가 빠져 있습니다.",
        "The message is missing parts.",
    ),
    CodeInfo(
        "0003",
        "메시지 형식이 올바르지 않습니다.",
        "Invalid message format.",
    ),
    CodeInfo(
        "0004",
        "메시지 길이가 허용 범위를 넘었습니다.",
        "Message length error.",
        hint_ko=(
            "SMS는 90바이트, LMS는 2,000바이트(한글 2바이트, 영문·숫자 1바이트)까지 "
            "보낼 수 있고, LMS 제목은 50바이트(한글 25자)까지입니다."
        ),
        hint_en=(
            "SMS takes up to 90 bytes, LMS up to 2,000 bytes (Hangul 2 bytes, ASCII 1), "
            "and an LMS title up to 50 bytes (25 Hangul characters)."
        ),
    ),
    CodeInfo(
        "0005",
        "카페24 서버와 다시 연결해야 합니다(Connect 필요).",
        "A connection to the gateway is required (Connect needed).",
        hint_ko=_RETRY_KO,
        hint_en=_RETRY_EN,
    ),
    CodeInfo(
        "0099",
        "기타 오류입니다(DB 오류 또는 시스템 장애).",
        "Other error (database or system failure).",
        hint_ko=_RETRY_KO,
        hint_en=_RETRY_EN,
    ),
    CodeInfo(
        "0044",
        "스팸 메시지로 판단되어 차단되었습니다.",
        "Blocked as spam.",
        hint_ko=(
            "배팅, 바카라, 도박, 카지노, 성인 관련 단어 등이 들어간 메시지는 보낼 수 "
            "없습니다. 내용을 고쳐 보내세요."
        ),
        hint_en=(
            "Messages with betting, baccarat, gambling, casino or adult words are refused. "
            "Reword the message."
        ),
    ),
    *_SMS_RESULT_CODES,
)

# --- LMS/MMS delivery results ------------------------------------------------------

DELIVERY_CODES: dict[str, CodeInfo] = _table(
    CodeInfo(
        "0",
        "전송에 성공했습니다.",
        "Delivered.",
    ),
    CodeInfo(
        "-2",
        "이동통신사의 결과 보고를 기다리는 중입니다.",
        "Waiting for the carrier's report.",
        hint_ko="잠시 후 다시 조회하세요.",
        hint_en="Look again in a while.",
    ),
    CodeInfo("1", "시스템 장애입니다.", "System failure."),
    CodeInfo("41", "MMS 내용 생성에 실패했습니다.", "MMS content creation failed."),
    CodeInfo("42", "MMS 결과 코드에 오류가 있습니다.", "MMS result code error."),
    CodeInfo(
        "112",
        "이동통신사의 결과 보고 수신 시간이 만료되었습니다.",
        "The carrier's report timed out.",
    ),
    CodeInfo(
        "114",
        "번호 도용·변작 방지 정책에 따라 차단되었습니다.",
        "Blocked as a spoofed or altered sender number.",
        hint_ko="발신번호가 카페24에 등록된 본인 명의 번호인지 확인하세요.",
        hint_en="Check that the sender number is your own number registered at Cafe24.",
    ),
    CodeInfo("116", "번호 세칙을 위반했습니다.", "Numbering rule violation."),
    CodeInfo("202", "받는 번호의 가입자가 없습니다.", "No such subscriber."),
    CodeInfo(
        "203",
        "비가입자, 결번, 서비스 정지 등 받는 번호에 오류가 있습니다.",
        "The recipient is unsubscribed, unused or suspended.",
    ),
    CodeInfo("204", "받는 사람의 휴대폰 전원이 꺼져 있습니다.", "The handset is switched off."),
    CodeInfo("205", "받는 사람이 통신 음영 지역에 있습니다.", "No coverage."),
    CodeInfo(
        "206",
        "받는 사람의 휴대폰 메시지 저장 공간이 가득 찼습니다.",
        "The handset message memory is full.",
    ),
    CodeInfo("207", "단말기 오류입니다.", "Handset error."),
    CodeInfo("209", "번호 이동한 가입자입니다.", "The number has been ported."),
    CodeInfo("210", "SMS 착신 전환 횟수를 초과했습니다.", "SMS forwarding limit exceeded."),
    CodeInfo("211", "유효 기간이 만료되었습니다.", "Expired."),
    CodeInfo("212", "이동통신사 오류입니다.", "Carrier error."),
    CodeInfo("216", "받는 번호에 오류가 있습니다.", "Recipient number error."),
    CodeInfo(
        "245",
        "받는 사람의 휴대폰에서 수신을 거부했습니다.",
        "Refused by the recipient's handset.",
    ),
    CodeInfo(
        "253",
        "무선망 전송에 실패했습니다. 단말기가 일시 정지 상태입니다.",
        "Radio transmission failed; the handset is suspended.",
    ),
    CodeInfo(
        "254",
        "무선망에서 단말기로 전송하지 못했습니다. 가입자 위치 정보(VLR)가 없습니다.",
        "Radio transmission to the handset failed; no VLR for the subscriber.",
    ),
    CodeInfo("2003", "지원하지 않는 단말기입니다.", "Unsupported handset."),
    CodeInfo("4005", "이동통신사 서비스 오류입니다.", "Carrier service error."),
    CodeInfo("4007", "클라이언트 오류입니다.", "Client error."),
    CodeInfo("4008", "통신사 서버에 과부하가 걸렸습니다.", "The carrier's server is overloaded."),
    CodeInfo(
        "4301", "가입자가 아니거나 결번입니다(KTF).", "Not a subscriber or unused number (KTF)."
    ),
    CodeInfo("4305", "단말기 오류입니다.", "Handset error."),
    CodeInfo("4307", "일시 정지된 가입자입니다.", "Suspended subscriber."),
    CodeInfo("6072", "MMS를 받을 수 없는 단말기입니다.", "The handset cannot receive MMS."),
    CodeInfo("8012", "SKT MMS 오류입니다.", "SKT MMS error."),
    CodeInfo("8200", "단말기 오류입니다.", "Handset error."),
    CodeInfo(
        "9999",
        "원인을 알 수 없는 오류입니다.",
        "Unknown error.",
        hint_ko=_SUPPORT_KO,
        hint_en=_SUPPORT_EN,
    ),
    *_SMS_RESULT_CODES,
)

# --- sms_list.php and sms_remain.php -----------------------------------------------

_MISSING_FIELD = CodeInfo(
    "-101",
    "필수 항목이 빠졌습니다.",
    "A required field is missing.",
    hint_ko="요청에 필요한 항목을 모두 채웠는지 확인하세요.",
    hint_en="Check that every required field of the request is filled in.",
)

LIST_CODES: dict[str, CodeInfo] = _table(
    CodeInfo("0000", "조회 요청에 성공했습니다.", "Request succeeded."),
    _MISSING_FIELD,
    _AUTH_FAILED,
)

REMAIN_CODES: dict[str, CodeInfo] = _table(
    _SERVER_ERROR,
    _MISSING_FIELD,
    _AUTH_FAILED,
)

# --- lookup ----------------------------------------------------------------------

_SEND_ALIASES = {"test success!": "test", "test success": "test"}


def _clean(code: object) -> str:
    """Turn whatever came back into a stripped string, never raising."""
    if code is None:
        return ""
    if isinstance(code, bytes | bytearray):
        try:
            return bytes(code).decode("utf-8", "replace").strip()
        except Exception:  # pragma: no cover - decode with "replace" does not fail
            return ""
    try:
        return str(code).strip()
    except Exception:
        return ""


def _unknown(code: str) -> CodeInfo:
    """Info for a code that no table lists."""
    return CodeInfo(
        code,
        ko=f"알 수 없는 결과 코드({code})입니다. 카페24 고객센터에 문의하세요.",
        en=f"Unknown result code ({code}); ask Cafe24 support.",
        known=False,
    )


def _empty(hint_ko: str, hint_en: str) -> CodeInfo:
    """Info for an empty answer."""
    return CodeInfo(
        "",
        ko="빈 응답을 받았습니다(결과 코드 없음).",
        en="Empty answer (no result code).",
        known=False,
        hint_ko=hint_ko,
        hint_en=hint_en,
    )


def _lookup(table: dict[str, CodeInfo], code: str) -> CodeInfo:
    """Find ``code`` in ``table`` exactly, then case-insensitively; else unknown."""
    info = table.get(code) or table.get(code.lower())
    return info if info is not None else _unknown(code)


def describe_send(code: str) -> CodeInfo:
    """Describe an sms_sender.php answer ("-114", "success", "Test Success!", "-102,")."""
    text = _clean(code).split(",", 1)[0].strip()
    if not text:
        return _empty(
            "발송되었는지 알 수 없으니 전송 결과 조회에서 확인한 뒤 다시 보내세요.",
            "It is unknown whether anything was sent; check the results list before resending.",
        )
    return _lookup(SEND_CODES, _SEND_ALIASES.get(text.lower(), text))


def describe_delivery(code: str) -> CodeInfo:
    """Describe a delivery result code from a results lookup ("0", "-2", "114", "3208")."""
    text = _clean(code)
    if not text:
        return _empty("잠시 후 다시 조회하세요.", "Look again in a while.")
    return _lookup(DELIVERY_CODES, text)


def describe_list(code: str) -> CodeInfo:
    """Describe an sms_list.php result code ("0000", "-101", "-102")."""
    text = _clean(code)
    if not text:
        return _empty(_RETRY_KO, _RETRY_EN)
    return _lookup(LIST_CODES, text)


def describe_remain(code: str) -> CodeInfo:
    """Describe an sms_remain.php error code ("-100", "-101", "-102")."""
    text = _clean(code).split(",", 1)[0].strip()
    if not text:
        return _empty(_RETRY_KO, _RETRY_EN)
    return _lookup(REMAIN_CODES, text)
