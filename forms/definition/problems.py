"""Design-time problems: each has a code, a location and the values for its message."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition, at a place the designer can find.

    ``location`` reads like the form itself: "row 03", "column 2", "cell 05/3",
    "row formula of 01". ``message`` is English with %(name)s placeholders; the UI
    translates it and fills in ``params``.
    """

    code: str
    location: str
    message: str
    params: dict = field(default_factory=dict)

    def render(self, translate=lambda text: text) -> str:
        return translate(self.message) % self.params


def gettext_noop(message: str) -> str:
    """Mark ``message`` for translation (xgettext knows this name); return it as is."""
    return message
