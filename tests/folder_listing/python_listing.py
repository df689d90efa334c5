"""Prints a folder's listing as the Python package reads it: python_listing.py DIR."""

import json
import sys

from tasksync import FolderSource

json.dump(FolderSource(sys.argv[1]).read(), sys.stdout)
