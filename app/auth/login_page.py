"""The login page and the provider's other pages: plain, accessible HTML in zh-CN or English.

No scripts, one inline style sheet allowed by its hash in the Content-Security-Policy, every
value escaped. Errors never say whether an account exists.
"""

from __future__ import annotations

import base64
import hashlib
import html
from importlib import resources
from string import Template
from urllib.parse import urlencode, urlsplit

_STYLE = (
    "body{font-family:system-ui,-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;"
    "max-width:30rem;margin:2rem auto;padding:0 1rem;line-height:1.6;color:#1a1a1a;"
    "background:#fff}"
    "h1{font-size:1.4rem}"
    "h2{font-size:1.1rem;margin-top:2rem;border-top:1px solid #ccc;padding-top:1rem}"
    "label{display:block;margin-top:.75rem;font-weight:600}"
    "input{width:100%;box-sizing:border-box;padding:.6rem;font-size:1rem;"
    "border:1px solid #555;border-radius:4px}"
    "button{margin:1rem .5rem 0 0;padding:.6rem 1.2rem;font-size:1rem;border-radius:4px;"
    "border:1px solid #0b57d0;background:#0b57d0;color:#fff;cursor:pointer}"
    "button.secondary{background:#fff;color:#0b57d0}"
    ":focus-visible{outline:3px solid #b06000;outline-offset:2px}"
    ".alert{padding:.75rem;border:2px solid #b3261e;border-radius:4px;color:#b3261e}"
    ".notice{padding:.75rem;border:2px solid #146c2e;border-radius:4px;color:#146c2e}"
    ".hint{margin:.25rem 0 0;font-size:.9rem;color:#444}"
    "nav{margin-top:2rem;font-size:.9rem}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()

TEXTS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "title": "青e办统一身份认证",
        "heading": "登录青e办",
        "client_line": "「{client}」请求您登录。登录一次，即可访问各部门系统。",
        "password_title": "账号密码登录",
        "login_label": "手机号或工作人员账号",
        "login_hint": "群众请填写手机号；工作人员请填写工作账号。",
        "password_label": "密码",
        "sign_in": "登录",
        "sms_title": "短信验证码登录",
        "phone_label": "手机号",
        "send_code": "获取验证码",
        "otp_label": "验证码（6 位数字）",
        "otp_hint": "验证码 5 分钟内有效。",
        "code_sent": "如果该号码可以接收短信，验证码已发送，请查收。",
        "other_language": "English",
        "expired_heading": "登录请求已失效",
        "expired_text": "登录页面已过期或已使用，请返回原应用重新发起登录。",
        "refused_heading": "无法处理登录请求",
        "refused_text": "该登录请求无效，请联系应用提供方。",
        "logged_out_heading": "您已退出登录",
        "logged_out_text": "您已退出青e办及各部门系统。",
        "logout_refused_heading": "无法处理退出请求",
        "logout_refused_text": "该退出请求无效。",
    },
    "en": {
        "title": "Qing e-ban sign-in",
        "heading": "Sign in to Qing e-ban",
        "client_line": "“{client}” asks you to sign in. Sign in once for every department.",
        "password_title": "Sign in with a password",
        "login_label": "Mobile number or staff login",
        "login_hint": "Citizens: your mobile number. Staff: your staff login.",
        "password_label": "Password",
        "sign_in": "Sign in",
        "sms_title": "Sign in with an SMS code",
        "phone_label": "Mobile number",
        "send_code": "Send code",
        "otp_label": "Code (6 digits)",
        "otp_hint": "The code is valid for 5 minutes.",
        "code_sent": "If this number can receive texts, a code is on its way.",
        "other_language": "中文",
        "expired_heading": "This sign-in has expired",
        "expired_text": "This sign-in page has expired or was used; start again from the app.",
        "refused_heading": "The sign-in request cannot be served",
        "refused_text": "This sign-in request is invalid; please tell the application's provider.",
        "logged_out_heading": "You are signed out",
        "logged_out_text": "You are signed out of Qing e-ban and every department's system.",
        "logout_refused_heading": "The sign-out request cannot be served",
        "logout_refused_text": "This sign-out request is invalid.",
    },
}


def security_headers(redirect_uri: str | None = None) -> dict[str, str]:
    """Headers of every provider page: no framing, referrer, caching, scripts or foreign forms.

    `form-action` also names where a successful login redirects to, since browsers apply it to
    the redirect that answers a form.
    """
    targets = "'self'"
    if redirect_uri:
        parts = urlsplit(redirect_uri)
        if parts.scheme in ("http", "https"):
            targets += f" {parts.scheme}://{parts.netloc}"
        elif parts.scheme:
            targets += f" {parts.scheme}:"
    return {
        "Content-Security-Policy": (
            f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action {targets}; "
            "frame-ancestors 'none'; base-uri 'none'"
        ),
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }


def _template(name: str) -> Template:
    return Template(resources.files("app.auth").joinpath(f"templates/{name}").read_text("utf-8"))


_LOGIN = _template("login.html")
_MESSAGE = _template("message.html")


def texts(locale: str) -> dict[str, str]:
    """The page texts of a locale ("en" or "zh-CN")."""
    return TEXTS["en" if locale == "en" else "zh-CN"]


def login(
    *,
    locale: str,
    client_name: str,
    request_id: str,
    csrf_token: str,
    error: str | None = None,
    notice: str | None = None,
    phone: str = "",
) -> str:
    """The login page of a held authorization request."""
    text = texts(locale)
    messages = ""
    if error:
        messages = f'<p class="alert" role="alert" id="form-error">{html.escape(error)}</p>'
    elif notice:
        messages = f'<p class="notice" role="status">{html.escape(notice)}</p>'
    other = "zh-CN" if locale == "en" else "en"
    href = "/oauth/login?" + urlencode({"request_id": request_id, "lang": other})
    values = {key: html.escape(value) for key, value in text.items()}
    values.update(
        lang=html.escape(locale),
        style=_STYLE,
        client_line=html.escape(text["client_line"].format(client=client_name)),
        messages=messages,
        request_id=html.escape(request_id),
        csrf_token=html.escape(csrf_token),
        phone=html.escape(phone),
        invalid=' aria-invalid="true"' if error else "",
        other_language_href=html.escape(href),
        other_language_lang=other,
    )
    return _LOGIN.substitute(values)


def message(*, locale: str, heading: str, text: str, detail: str | None = None, alert: bool) -> str:
    """A page with one message (an error, or the signed-out confirmation)."""
    extra = f"<p><code>{html.escape(detail)}</code></p>" if detail else ""
    return _MESSAGE.substitute(
        lang=html.escape(locale),
        style=_STYLE,
        heading=html.escape(heading),
        text=html.escape(text),
        role="alert" if alert else "status",
        detail=extra,
    )
