"""``python -m synthgan.cli`` (as torchrun starts it): the `synthgan` command."""

from synthgan.cli import main

main()
