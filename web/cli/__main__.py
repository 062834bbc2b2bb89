"""``python -m web.cli``: the ``crier`` command (how ``crier run`` starts its worker and scheduler)."""
from . import main

main()
