# The temporary data folder of the embedded-mode command tests.
from tests.core.conftest import data_dir  # noqa: F401
