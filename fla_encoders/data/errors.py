"""The error of data that cannot be read as a panel."""


class PanelFormatError(ValueError):
    """A file or frame that is not a valid panel; the message names the file (or frame), the
    line (or row) and the column, and says what was expected."""
