import sys
from pathlib import Path

# The tests' helper modules (pystores) live beside them.
sys.path.insert(0, str(Path(__file__).parent))
