"""The rule for identifiers such as event names (shared by the models and the stores, without pydantic)."""

import re

NAME_RULE = "1 to 64 characters: a lowercase letter first, then lowercase letters, digits or underscores"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
