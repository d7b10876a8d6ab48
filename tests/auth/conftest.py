"""The seminar factories, for the private registration page's headers."""
from tests.seminars.conftest import make_registration, make_seminar
