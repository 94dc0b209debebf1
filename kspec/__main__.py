"""``python -m kspec``: the ``kspec`` command."""

from kspec.entry import main

main()
