"""Entry point: `python main.py console|ask|run|eval|export|import ...`."""
import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main())
