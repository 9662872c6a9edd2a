"""A made-up shop's back office on its own origin that frames the send form (?embed=1).

It writes every message its window hears into ``#heard`` (one ``li`` with ``data-origin``
and the JSON data), so a test can see what reached it and from where; unlike a real site
(docs/embedding.md), it keeps even messages from origins it does not know. The parent of
tests/browser/test_embed.py and of docs/screenshots/embed.png.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from werkzeug.wrappers import Request, Response

PAGE = """<!doctype html>
<html lang="ko">
<head>
<meta charset="utf-8">
<title>하늘꽃집 관리자</title>
<style>
  body {{ margin: 0; font-family: "Noto Sans KR", "Noto Sans CJK KR", sans-serif;
         background: #eef1f4; color: #1b1d21; }}
  header {{ background: #2d3a4b; color: #fff; padding: 0.8rem 1.5rem; font-weight: 700; }}
  .layout {{ display: flex; gap: 1.5rem; padding: 1.5rem; }}
  nav {{ width: 12rem; display: flex; flex-direction: column; gap: 0.25rem; }}
  nav span {{ padding: 0.5rem 0.75rem; border-radius: 6px; }}
  nav .current {{ background: #fff; font-weight: 700; }}
  section {{ flex: 1; }}
  iframe {{ width: 100%; max-width: 46rem; height: {height}px; border: 1px solid #c7ccd4;
           border-radius: 8px; background: #fff; }}
  h2 {{ font-size: 1rem; margin: 1rem 0 0.25rem; }}
  #heard {{ font-family: monospace; font-size: 0.85rem; max-width: 46rem;
           overflow-wrap: anywhere; }}
</style>
</head>
<body>
<header>하늘꽃집 · 관리자</header>
<div class="layout">
  <nav>
    <span>주문</span><span>상품</span><span class="current">문자 보내기</span><span>고객</span>
  </nav>
  <section>
    <iframe id="smsform" src="{src}" title="문자 보내기"></iframe>
    <h2>postMessage</h2>
    <ol id="heard"></ol>
  </section>
</div>
<script>
  window.addEventListener("message", (event) => {{
    const item = document.createElement("li");
    item.dataset.origin = event.origin;
    item.textContent = JSON.stringify(event.data);
    document.getElementById("heard").append(item);
  }});
</script>
</body>
</html>
"""

THANKS = """<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><title>감사합니다</title></head>
<body><p id="thanks">보냈습니다.</p></body></html>
"""


def parent_app(environ: dict, start_response) -> Iterable[bytes]:
    """``/?frame=URL[&height=PX]`` frames URL; ``/thanks`` is a page to return to."""
    request = Request(environ)
    if request.path == "/thanks":
        body = THANKS
    else:
        height = request.args.get("height", "900")
        body = PAGE.format(src=html.escape(request.args.get("frame", "about:blank")),
                           height=int(height) if height.isdigit() else 900)
    return Response(body, mimetype="text/html")(environ, start_response)
