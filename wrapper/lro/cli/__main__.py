"""``python -m lro.cli``: the same as the ``lro`` console script."""

from . import main

if __name__ == "__main__":
    main()
