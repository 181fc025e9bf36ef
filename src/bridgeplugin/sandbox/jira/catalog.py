"""The fixed vocabulary of the fake Jira: system fields, custom field types, permissions.

Ids, names and schemas are Jira Cloud's own, so a client that caches ``GET /field`` or asks
``GET /mypermissions`` sees what it would see on a real site.
"""

from __future__ import annotations

from typing import Any

from .model import FieldDef

__all__ = [
    "CUSTOM_TYPES",
    "DEFAULT_RESOLUTIONS",
    "GLOBAL_PERMISSIONS",
    "PROJECT_PERMISSIONS",
    "SPRINT_FIELD_ID",
    "system_fields",
]

# Cloud's Sprint field is customfield_10020 on most sites; the sandbox uses it when it is free.
SPRINT_FIELD_ID = "customfield_10020"

# seed type -> (schema type, schema items, custom type key)
CUSTOM_TYPES: dict[str, tuple[str, str | None, str]] = {
    "number": ("number", None, "com.atlassian.jira.plugin.system.customfieldtypes:float"),
    "string": ("string", None, "com.atlassian.jira.plugin.system.customfieldtypes:textfield"),
    "text": ("string", None, "com.atlassian.jira.plugin.system.customfieldtypes:textarea"),
    "date": ("date", None, "com.atlassian.jira.plugin.system.customfieldtypes:datepicker"),
    "datetime": ("datetime", None, "com.atlassian.jira.plugin.system.customfieldtypes:datetime"),
    "select": ("option", None, "com.atlassian.jira.plugin.system.customfieldtypes:select"),
    "labels": ("array", "string", "com.atlassian.jira.plugin.system.customfieldtypes:labels"),
    "user": ("user", None, "com.atlassian.jira.plugin.system.customfieldtypes:userpicker"),
    "sprint": ("array", "json", "com.pyxis.greenhopper.jira:gh-sprint"),
}

DEFAULT_RESOLUTIONS = ["Done", "Won't Do", "Duplicate", "Cannot Reproduce"]

# key -> (id, name, description); the ids are Jira Cloud's built-in permission ids.
PROJECT_PERMISSIONS: dict[str, tuple[str, str, str]] = {
    "ADD_COMMENTS": ("15", "Add Comments", "Ability to comment on issues."),
    "ADMINISTER_PROJECTS": ("23", "Administer Projects", "Ability to administer a project."),
    "ASSIGN_ISSUES": ("13", "Assign Issues", "Ability to assign issues to other people."),
    "ASSIGNABLE_USER": ("17", "Assignable User", "Users with this permission may be assigned."),
    "BROWSE_PROJECTS": ("10", "Browse Projects", "Ability to browse projects and issues."),
    "CLOSE_ISSUES": ("18", "Close Issues", "Ability to close issues."),
    "CREATE_ATTACHMENTS": ("19", "Create Attachments", "Users may attach files."),
    "CREATE_ISSUES": ("11", "Create Issues", "Ability to create issues."),
    "DELETE_ALL_COMMENTS": ("36", "Delete All Comments", "Ability to delete all comments."),
    "DELETE_ISSUES": ("16", "Delete Issues", "Ability to delete issues."),
    "DELETE_OWN_COMMENTS": ("37", "Delete Own Comments", "Ability to delete own comments."),
    "EDIT_ALL_COMMENTS": ("34", "Edit All Comments", "Ability to edit all comments."),
    "EDIT_ISSUES": ("12", "Edit Issues", "Ability to edit issues."),
    "EDIT_OWN_COMMENTS": ("35", "Edit Own Comments", "Ability to edit own comments."),
    "LINK_ISSUES": ("21", "Link Issues", "Ability to link issues together."),
    "MANAGE_WATCHERS": ("32", "Manage Watchers", "Ability to manage the watchers of an issue."),
    "MODIFY_REPORTER": ("30", "Modify Reporter", "Ability to modify the reporter."),
    "MOVE_ISSUES": ("25", "Move Issues", "Ability to move issues between projects."),
    "RESOLVE_ISSUES": ("14", "Resolve Issues", "Ability to resolve and reopen issues."),
    "SCHEDULE_ISSUES": ("28", "Schedule Issues", "Ability to set the due date."),
    "TRANSITION_ISSUES": ("46", "Transition Issues", "Ability to transition issues."),
    "VIEW_VOTERS_AND_WATCHERS": ("31", "View Voters and Watchers", "Ability to view voters."),
    "WORK_ON_ISSUES": ("20", "Work On Issues", "Ability to log work done against an issue."),
}

# Global permissions: site admins hold the administrative ones, everyone holds the rest.
GLOBAL_PERMISSIONS: dict[str, tuple[str, str, str, bool]] = {
    "ADMINISTER": ("0", "Administer Jira", "Ability to administer Jira.", True),
    "SYSTEM_ADMIN": ("44", "Jira System Administrators", "Ability to administer the site.", True),
    "USER_PICKER": ("27", "Browse users and groups", "Ability to select users or groups.", False),
    "CREATE_SHARED_OBJECTS": ("22", "Share dashboards and filters", "Share filters.", False),
    "BULK_CHANGE": ("33", "Make bulk changes", "Ability to modify many issues at once.", False),
}


def _system(
    fid: str,
    name: str,
    kind: str,
    schema: dict[str, Any] | None,
    clauses: list[str],
    *,
    navigable: bool = True,
    orderable: bool = True,
    searchable: bool = True,
) -> FieldDef:
    return FieldDef(
        id=fid,
        name=name,
        kind=kind,
        custom=False,
        schema=schema or {},
        clause_names=clauses,
        navigable=navigable,
        orderable=orderable,
        searchable=searchable,
    )


def system_fields() -> list[FieldDef]:
    """Jira Cloud's system fields the sandbox keeps values for, in ``GET /field`` order."""

    def s(type_: str, system: str, items: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"type": type_, "system": system}
        if items:
            out["items"] = items
        return out

    return [
        _system(
            "issuekey", "Key", "issuekey", None, ["id", "issue", "issuekey", "key"], orderable=False
        ),
        _system("summary", "Summary", "string", s("string", "summary"), ["summary"]),
        _system("description", "Description", "text", s("string", "description"), ["description"]),
        _system(
            "issuetype",
            "Issue Type",
            "issuetype",
            s("issuetype", "issuetype"),
            ["issuetype", "type"],
        ),
        _system("project", "Project", "project", s("project", "project"), ["project"]),
        _system("status", "Status", "status", s("status", "status"), ["status"], orderable=False),
        _system(
            "statusCategory",
            "Status Category",
            "statusCategory",
            s("statusCategory", "statusCategory"),
            ["statusCategory"],
            orderable=False,
        ),
        _system(
            "resolution", "Resolution", "resolution", s("resolution", "resolution"), ["resolution"]
        ),
        _system(
            "resolutiondate",
            "Resolved",
            "datetime",
            s("datetime", "resolutiondate"),
            ["resolutiondate", "resolved"],
            orderable=False,
        ),
        _system("reporter", "Reporter", "user", s("user", "reporter"), ["reporter"]),
        _system("creator", "Creator", "user", s("user", "creator"), ["creator"], orderable=False),
        _system("assignee", "Assignee", "user", s("user", "assignee"), ["assignee"]),
        _system("labels", "Labels", "labels", s("array", "labels", "string"), ["labels"]),
        _system(
            "components",
            "Components",
            "components",
            s("array", "components", "component"),
            ["component"],
        ),
        _system("parent", "Parent", "parent", None, ["parent"]),
        _system(
            "created",
            "Created",
            "datetime",
            s("datetime", "created"),
            ["created", "createdDate"],
            orderable=False,
        ),
        _system(
            "updated",
            "Updated",
            "datetime",
            s("datetime", "updated"),
            ["updated", "updatedDate"],
            orderable=False,
        ),
        _system(
            "statuscategorychangedate",
            "Status Category Changed",
            "datetime",
            s("datetime", "statuscategorychangedate"),
            ["statusCategoryChangedDate"],
            orderable=False,
        ),
        _system(
            "comment",
            "Comment",
            "comment",
            s("comments-page", "comment"),
            ["comment"],
            navigable=False,
        ),
        _system(
            "worklog",
            "Log Work",
            "worklog",
            s("array", "worklog", "worklog"),
            ["worklog"],
            navigable=False,
        ),
        _system(
            "issuelinks",
            "Linked Issues",
            "issuelinks",
            s("array", "issuelinks", "issuelinks"),
            ["issueLink"],
        ),
        _system(
            "subtasks",
            "Sub-tasks",
            "subtasks",
            s("array", "subtasks", "issuelinks"),
            ["subtasks"],
            orderable=False,
        ),
    ]


def custom_field(fid: str, name: str, kind: str, options: list[str]) -> FieldDef:
    schema_type, items, custom = CUSTOM_TYPES[kind]
    number = int(fid.rsplit("_", 1)[1])
    schema: dict[str, Any] = {"type": schema_type, "custom": custom, "customId": number}
    if items:
        schema["items"] = items
    return FieldDef(
        id=fid,
        name=name,
        kind=kind,
        custom=True,
        schema=schema,
        clause_names=[f"cf[{number}]", name],
        options=list(options),
        # Option ids continue Jira's habit of numbering options site-wide from 10000.
        option_ids={opt: str(10000 + number % 1000 * 100 + i) for i, opt in enumerate(options)},
    )
