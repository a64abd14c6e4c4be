"""The page's templates (string.Template; ui/html.py escapes every value). No scripts, no remote assets."""

from __future__ import annotations

from string import Template

STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d232b;background:#f7f8fa}
header{background:#1d2b3a;color:#fff;padding:.6em 1.2em;display:flex;gap:1.2em;align-items:center;flex-wrap:wrap}
header a{color:#cfe3ff;text-decoration:none}header a:hover{text-decoration:underline}
header .brand{font-weight:700;color:#fff}header form{margin-left:auto;display:flex;gap:.3em}
header input{padding:.3em .5em;min-width:18em;border:0;border-radius:3px}
main{max-width:72em;margin:1.2em auto;padding:0 1.2em}
h1{font-size:1.4em;margin:.2em 0 .6em;word-break:break-word}h2{font-size:1.1em;margin-top:1.6em}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #e3e6ea;padding:.35em .6em;text-align:left;vertical-align:top;word-break:break-word}
th{background:#eef1f5;font-weight:600}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;background:#fff;padding:.6em 1em}
dt{color:#5a6573}dd{margin:0;word-break:break-word}
blockquote.content{background:#fff;border-left:4px solid #3b7dd8;margin:0 0 1em;padding:.6em 1em;white-space:pre-wrap}
.tag{background:#e6eefb;border-radius:3px;padding:0 .35em;margin-right:.3em}
.note,.empty{color:#5a6573}.status{color:#5a6573;font-size:.9em}
.error{background:#fdecec;border-left:4px solid #c62828;padding:.6em 1em}
ul.tree,ul.tree ul{list-style:none;padding-left:1.2em}ul.tree li{margin:.2em 0}
footer{color:#5a6573;font-size:.85em;text-align:center;margin:2em 0}
"""

PAGE = Template("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title · cortex-mcp</title><style>$style</style></head>
<body><header><a class="brand" href="$home">cortex-mcp</a>
<a href="$home">Overview</a><a href="$users">Users</a><a href="$contexts">Contexts</a>
<a href="$threads">Agent threads</a>
<span>space: <strong>$space</strong></span>
<form method="get" action="/search" role="search"><input type="hidden" name="space" value="$space">
<input name="q" value="$query" placeholder="Search memories and facts" aria-label="search">
<button type="submit">Search</button></form></header>
<main><h1>$title</h1>$body</main>
<footer>Read-only view of the $backend backend · cortex-mcp $version</footer></body></html>
""")

ERROR = Template('<p class="error">$message</p><p><a href="$home">Back to the overview</a></p>')

LOGIN = Template("""<p>This page needs one of the server's tokens (the same as for the HTTP transport).</p>
<form method="post" action="/login"><input type="password" name="token" aria-label="token" autocomplete="off"
 placeholder="token"> <button type="submit">Open</button></form>""")
