"""`cortex-mcp ui`: a read-only web page over the memory (app.py: the door and routes; views.py:
what each page reads; templates.py + html.py: escaped, server-rendered HTML; serve.py: the server)."""
