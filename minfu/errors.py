"""Errors that cross layer boundaries.

Each carries a Chinese message meant for users and operators; the API and CLI show `message`, never a traceback.
"""

from __future__ import annotations


class MinfuError(Exception):
    """Base class: `message` is safe to show to a user (Chinese), `code` is a stable identifier."""

    code = "minfu_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class ConfigurationError(MinfuError):
    code = "configuration_error"


class DocumentLoadError(MinfuError):
    """A file could not be read or parsed; `path` names it so a batch can list its failures."""

    code = "document_load_error"

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"无法读取文件 {path}：{reason}")
        self.path = path
        self.reason = reason


class UnsupportedFileError(DocumentLoadError):
    code = "unsupported_file"


class IndexUnavailableError(MinfuError):
    code = "index_unavailable"


class InvalidInputError(MinfuError):
    """Bad input from a user or a dataset; `field` names what was wrong."""

    code = "invalid_input"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
