"""`python -m local` (`make local`): the whole system on this machine."""

import sys

from local import moto_mismatch

if mismatch := moto_mismatch():
    sys.exit(mismatch)  # before anything imports moto's internals

from local.stack import main  # only with the moto that local/ was written against

sys.exit(main())
