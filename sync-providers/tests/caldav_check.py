"""Reads one VTODO with the `caldav` client library and prints its status properties (and its
DTSTAMP and LAST-MODIFIED) as JSON.

Used by tests/caldav.rs to check, with a CalDAV client that is not ours, what the adapter wrote.
Usage: caldav_check.py CALENDAR_URL USER PASSWORD UID
"""

import json
import sys

import caldav


def main() -> None:
    url, user, password, uid = sys.argv[1:5]
    with caldav.DAVClient(url=url, username=user, password=password) as client:
        calendar = client.calendar(url=url)
        todo = calendar.todo_by_uid(uid)
        component = todo.icalendar_component
        completed = component.get("completed")
        percent = component.get("percent-complete")
        stamps = {
            name: value.to_ical().decode() if value is not None else None
            for name, value in (
                ("dtstamp", component.get("dtstamp")),
                ("last_modified", component.get("last-modified")),
            )
        }
        print(
            json.dumps(
                {
                    "status": str(component.get("status")),
                    "completed": completed.to_ical().decode()
                    if completed is not None
                    else None,
                    "percent": int(percent) if percent is not None else None,
                    "note": str(component.get("x-tasksync-note")),
                    "summary": str(component.get("summary")),
                    **stamps,
                }
            )
        )


if __name__ == "__main__":
    main()
