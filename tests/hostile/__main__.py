"""python -m tests.hostile DIR: write the hostile corpus to DIR."""
import sys
from pathlib import Path

from tests.hostile import build_all

for path in build_all(Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-files")).values():
    print(path)
