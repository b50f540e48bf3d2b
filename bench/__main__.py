"""`make bench`: every benchmark, printing figures. Ratios compare targets measured in one run."""
import importlib
import pkgutil
import sys
from pathlib import Path

names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])
               if not m.name.startswith("_"))
only = sys.argv[1:]
for name in names:
    if only and name not in only:
        continue
    print(f"== {name}", flush=True)
    importlib.import_module(f"bench.{name}").main()
