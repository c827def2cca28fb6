"""Write sample_data/geography_lookup.csv: every (postcode, city, state, region) the generator
of customers.csv can produce, one row per postcode of a city, with its population (the public
weight the generator places customers by, like a census figure: a city's population spread
evenly over its postcodes); and city_lookup.csv, one row per city (city, state, region: the
city -> state -> region hierarchy in the value,parent,... form of privacy.hierarchy).

    python sample_data/make_geography_lookup.py [--rows N] [--seed S] [--out PATH]

It replays make_customers.py's draws up to its pool of places (same seed, same Faker and
numpy calls), so the lookup is the generator's own public table: the demo declares it as
the geography hierarchy. It holds no customer: the pool is drawn before anyone is placed.
"""

import argparse
import csv
from pathlib import Path

import numpy as np
from faker import Faker
from make_customers import STATE_REGION, city_weights, make_city_pool, make_people

BIGGEST_CITY = 2_000_000  # people in the largest city; the others scale by the generator's weights


def place_pool(rows: int, seed: int, n_cities: int = 300) -> list[tuple[str, str, str, str, int]]:
    """(postcode, city, state, region, population) for every place the generator can produce."""
    Faker.seed(seed)
    fake = Faker("en_US")
    rng = np.random.default_rng(seed)
    make_people(fake, rng, rows)  # the draws make_table makes before its places
    cities = make_city_pool(fake, rng, n_cities)  # make_places' pool, before it places anyone
    weights = city_weights(n_cities)
    people: dict[tuple[str, str, str, str], float] = {}
    for (city, state, zips), weight in zip(cities, weights, strict=True):
        for z in zips:  # make_places picks one of the city's listed postcodes (a repeat counts twice)
            place = (z, city, state, STATE_REGION[state])
            people[place] = people.get(place, 0.0) + BIGGEST_CITY * weight / weights[0] / len(zips)
    return sorted((*place, round(n)) for place, n in people.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=20240611)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("geography_lookup.csv"))
    args = parser.parse_args()
    pool = place_pool(args.rows, args.seed)
    with open(args.out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["postcode", "city", "state", "region", "population"])
        writer.writerows(pool)
    cities = sorted({place[1:4] for place in pool})
    with open(args.out.with_name("city_lookup.csv"), "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["city", "state", "region"])
        writer.writerows(cities)
    print(f"wrote {len(pool)} places to {args.out} and {len(cities)} cities beside it")


if __name__ == "__main__":
    main()
