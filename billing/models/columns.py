"""Money columns: integer minor units beside the row's ``currency``, read back as ``Money``.

Each model still declares its columns itself (``amount_minor = models.BigIntegerField()``,
``currency = models.CharField(max_length=CURRENCY_LENGTH)``), so the schema and its
migrations stay exactly as written; what this removes is the property per column that turned
them back into ``Money``.
"""

from __future__ import annotations

from typing import Any, overload

from billing.money import Money

CURRENCY_LENGTH = 3  # characters: an ISO 4217 code


class MoneyColumn:
    """``amount = MoneyColumn("amount_minor")``: that column and the row's ``currency`` as one
    ``Money``. Read-only, like the properties it replaces: writers set the columns."""

    def __init__(self, minor_column: str, *, currency_column: str = "currency") -> None:
        self.minor_column = minor_column
        self.currency_column = currency_column

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, row: None, owner: type | None = None) -> MoneyColumn: ...

    @overload
    def __get__(self, row: object, owner: type | None = None) -> Money: ...

    def __get__(self, row: object | None, owner: type | None = None) -> Money | MoneyColumn:
        if row is None:
            return self
        return Money(getattr(row, self.minor_column), getattr(row, self.currency_column))

    def __set__(self, row: object, value: Any) -> None:
        raise AttributeError(
            f"{self.name} is read from {self.minor_column} and {self.currency_column}; "
            "set those columns instead."
        )
