"""The page's only way to make HTML: every value is escaped unless it is already `Markup`.

Templates are `string.Template` texts (`$name`); `render(template, **values)` escapes each value,
so a memory holding `<script>` shows as text. Build links with `url()` (path segments and query
values percent-encoded) and pass them through `render` like anything else.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from string import Template
from typing import Any
from urllib.parse import quote, urlencode

from cortex_mcp.toolsets.times import iso


class Markup(str):
    """Text that is already HTML (made here, from escaped parts): never escaped again."""


def escape(value: Any) -> Markup:
    if isinstance(value, Markup):
        return value
    return Markup(html.escape("" if value is None else str(value), quote=True))


def render(template: str | Template, **values: Any) -> Markup:
    """`template` with each `$name` replaced by its value, escaped (Markup values go in as they are)."""
    compiled = template if isinstance(template, Template) else Template(template)
    return Markup(compiled.substitute({key: escape(value) for key, value in values.items()}))


def join(parts: Iterable[Markup], separator: str = "") -> Markup:
    return Markup(separator.join(escape(part) for part in parts))


def url(*segments: str, **params: Any) -> str:
    """`/segment/segment?key=value` (no segments: `/`), every segment and value percent-encoded; None and
    empty values left out."""
    path = "/" + "/".join(quote(str(s), safe="") for s in segments)
    query = urlencode({key: value for key, value in params.items() if value is not None and value != ""})
    return f"{path}?{query}" if query else path


def link(href: str, text: Any) -> Markup:
    return render('<a href="$href">$text</a>', href=href, text=text)


def when(ms: Any) -> Markup:
    """A time (epoch ms) as ISO-8601 UTC, or nothing."""
    return escape(iso(ms)) if isinstance(ms, int | float) and not isinstance(ms, bool) else Markup("")


def table(headers: list[str], rows: list[list[Any]], empty: str = "nothing here") -> Markup:
    """An HTML table; cells are escaped unless Markup."""
    if not rows:
        return render('<p class="empty">$empty</p>', empty=empty)
    head = join(render("<th>$h</th>", h=h) for h in headers)
    body = join(render("<tr>$cells</tr>", cells=join(render("<td>$c</td>", c=c) for c in row)) for row in rows)
    return render("<table><thead><tr>$head</tr></thead><tbody>$body</tbody></table>", head=head, body=body)
