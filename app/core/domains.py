"""The record by which a domain joins the app: its blueprints and its entries in the navigation."""
from dataclasses import dataclass

from flask import Blueprint


@dataclass(frozen=True)
class Nav:
    endpoint: str
    label: str
    admin_only: bool = False
    # Used now and then: listed under the header's "More" menu (with an administrator's own areas),
    # so the areas fit one line on a laptop.
    more: bool = False


class Domain:
    """A domain's blueprints (registered in this order) and its navigation entries.

    A blueprint nested in another domain's (the directory import under the associations) is
    registered by its parent, so it is named with `nested=True`: listed, so its package is
    imported and its routes exist, but not registered twice.
    """

    def __init__(self, blueprints: Blueprint | tuple[Blueprint, ...], *nav: Nav, nested: bool = False):
        self.blueprints = blueprints if isinstance(blueprints, tuple) else (blueprints,)
        self.nav = nav
        self.nested = nested
