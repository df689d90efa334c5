"""A CalDAV client that is not tasksync's: the `caldav` Python library on one calendar.

Used by examples/demo.sh and sync-cli/tests/caldav.rs to create the VTODO a hub task mirrors
and to read back what `tasksync worker` wrote to it.

    caldav_client.py seed CALENDAR_URL USER UID SUMMARY   create VTODO UID (stored as UID.ics)
    caldav_client.py show CALENDAR_URL USER UID           print its status properties as JSON

The password comes from the environment variable TASKSYNC_CALDAV_PASSWORD (never argv, so it
is not visible in the process list), and is never printed.
"""

import json
import os
import sys

import caldav


def seed(calendar: caldav.Calendar, uid: str, summary: str) -> None:
    calendar.save_todo(
        uid=uid,
        summary=summary,
        status="NEEDS-ACTION",
        percent_complete=0,
    )
    print(f"created VTODO {uid} ({summary}): STATUS:NEEDS-ACTION")


def show(calendar: caldav.Calendar, uid: str) -> None:
    component = calendar.todo_by_uid(uid).icalendar_component
    completed = component.get("completed")
    percent = component.get("percent-complete")
    print(
        json.dumps(
            {
                "uid": str(component.get("uid")),
                "summary": str(component.get("summary")),
                "status": str(component.get("status")),
                "completed": completed.to_ical().decode() if completed else None,
                "percent": int(percent) if percent is not None else None,
            }
        )
    )


def main() -> None:
    if len(sys.argv) < 5 or sys.argv[1] not in ("seed", "show"):
        sys.exit(__doc__)
    action, url, user, uid = sys.argv[1:5]
    password = os.environ.get("TASKSYNC_CALDAV_PASSWORD")
    if not password:
        sys.exit("set TASKSYNC_CALDAV_PASSWORD")
    with caldav.DAVClient(url=url, username=user, password=password) as client:
        calendar = client.calendar(url=url)
        if action == "seed":
            seed(calendar, uid, " ".join(sys.argv[5:]) or uid)
        else:
            show(calendar, uid)


if __name__ == "__main__":
    main()
