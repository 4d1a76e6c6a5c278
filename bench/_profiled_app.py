"""app.py run under cProfile (for bench/profile_page.py): each script run dumps its stats to
``$AAM_PROFILE_DIR/run-<n>.prof``, since streamlit runs the script in its own thread."""
import cProfile
import os
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app.py"
out = Path(os.environ["AAM_PROFILE_DIR"])
profiler = cProfile.Profile()
profiler.enable()
try:
    exec(compile(APP.read_text(), str(APP), "exec"), {"__file__": str(APP), "__name__": "__main__"})
finally:
    profiler.disable()
    profiler.dump_stats(out / f"run-{len(list(out.glob('run-*.prof'))):03d}.prof")
