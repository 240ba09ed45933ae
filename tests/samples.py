"""Small MovieLens-shaped files the tests write themselves."""

from __future__ import annotations

from pathlib import Path

MOVIES_CSV = """movieId,title,genres
1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy
2,"Matrix, The (1999)",Action|Sci-Fi|Thriller
3,Amélie (Fabuleux destin d'Amélie Poulain) (2001),Comedy|Romance
4,Babylon 5,(no genres listed)
"""
RATINGS_CSV = """userId,movieId,rating,timestamp
1,1,4.0,964982703
1,2,5.0,964981247
2,2,3.5,964982224
2,3,0.5,964983815
"""
TAGS_CSV = """userId,movieId,tag,timestamp
2,2,mind-bending,1445714994
2,3,whimsical,1445714996
"""
LINKS_CSV = """movieId,imdbId,tmdbId
1,0114709,862
2,0133093,603
3,0211915,194
4,0105946,
"""


def write(folder: Path, files: dict[str, str], encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_bytes(text.encode(encoding))
    return folder
