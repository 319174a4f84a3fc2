"""The web dashboard (`newsmon serve`): the archive in the browser, through Datasette.

- queries.py: every SQL statement served (canned queries, home page, charts, feeds).
- metadata.py: the Datasette metadata newsmon ships (tables, facets, queries, dashboard).
- plugin.py: Datasette hooks (query-only connections, SQL functions, links, home page, feeds).
- feeds.py: an alert rule as an Atom feed.
- app.py: builds the Datasette instance and runs it.
"""
