"""`python -m potter_gen` runs the CLI."""

from potter_gen.cli import main

main()
