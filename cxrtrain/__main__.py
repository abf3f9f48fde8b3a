"""`python -m cxrtrain` and `torchrun -m cxrtrain`."""
import sys

from .cli import main

sys.exit(main())
