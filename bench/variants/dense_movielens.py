"""Writes a denser, MovieLens-100k-format variant of ml-latest-small, to check that a result holds off the one
dataset in ../shared (test and benchmark infrastructure only; the output is derived data: never commit it).

Items with at least 20 ratings, then users with at least 20 of those (1,297 items, 566 users, 67,225 ratings); ids
renumbered in a shuffled order (seed 42), half stars rounded up to whole ones, and timestamps floored to the minute,
so that many of a user's interactions share a timestamp, as in other MovieLens releases.

Usage: python3 bench/variants/dense_movielens.py [--source ../shared/data/movielens-latest-small] OUT_DIR
then: ./kindling import movielens --home H OUT_DIR && ./kindling encode --home H
"""
import argparse
import collections
import csv
import os
import random


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--source", default="../shared/data/movielens-latest-small")
    parser.add_argument("--min-ratings", type=int, default=20)
    args = parser.parse_args()
    with open(os.path.join(args.source, "ratings.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    per_item = collections.Counter(r["movieId"] for r in rows)
    rows = [r for r in rows if per_item[r["movieId"]] >= args.min_ratings]
    per_user = collections.Counter(r["userId"] for r in rows)
    rows = [r for r in rows if per_user[r["userId"]] >= args.min_ratings]
    with open(os.path.join(args.source, "movies.csv"), newline="", encoding="utf-8") as f:
        movies = {r["movieId"]: r for r in csv.DictReader(f)}
    rnd = random.Random(42)
    items = sorted({r["movieId"] for r in rows})
    rnd.shuffle(items)
    item_id = {m: i + 1 for i, m in enumerate(items)}
    users = sorted({r["userId"] for r in rows})
    rnd.shuffle(users)
    user_id = {u: i + 1 for i, u in enumerate(users)}
    genres = sorted({g for m in items for g in movies[m]["genres"].split("|")})
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "u.genre"), "w", encoding="latin-1") as f:
        for i, g in enumerate(genres):
            f.write(f"{g}|{i}\n")
    with open(os.path.join(args.out, "u.item"), "w", encoding="latin-1", errors="replace") as f:
        for m in sorted(items, key=item_id.get):
            own = set(movies[m]["genres"].split("|"))
            flags = ["1" if g in own else "0" for g in genres]
            f.write("|".join([str(item_id[m]), movies[m]["title"].replace("|", "/"), "", "", ""] + flags) + "\n")
    with open(os.path.join(args.out, "u.data"), "w") as f:
        for r in rows:
            stars = max(1, int(float(r["rating"]) + 0.5))
            f.write(f"{user_id[r['userId']]}\t{item_id[r['movieId']]}\t{stars}\t{int(r['timestamp']) // 60 * 60}\n")
    print(f"{len(items)} items, {len(users)} users, {len(rows)} ratings -> {args.out}")


if __name__ == "__main__":
    main()
