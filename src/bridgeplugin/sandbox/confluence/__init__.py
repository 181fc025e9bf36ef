"""The fake Confluence Cloud: ``state`` (spaces, pages, attachments, labels and their versions),
``shapes`` (state -> the JSON Confluence answers) and ``routes`` (v1 ``/wiki/rest/api`` and v2
``/wiki/api/v2`` paths -> handlers)."""
