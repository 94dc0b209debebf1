"""``python -m kspec``: the ``kspec`` command."""

from kspec.lintcmd import main

main()
