"""Notebook tests (`pytest --nbval notebooks/`) always run offline.

Set before nbval starts any kernel: the environment beats a developer's `.env`, so a local key
never turns the notebook tests into live (paid, non-deterministic) runs.
"""

import os

os.environ["VIDREC_MODE"] = "offline"
