"""The eight sample clips as data: sprites, and per scene a sky, moving items and notes.

`make_sample_videos.py` renders this table; `data/catalog/sample_clips.json` describes what it
shows. Each scene lasts at least 4 s, Marengo 3.0's default minimum segment length.
"""

# The table is laid out by hand, one item per line, so it reads as a table: keep the formatter off.
# fmt: off
from __future__ import annotations

# Sprites: parts (shape, colour, (dx, dy), (width, height)[, text]) around the sprite's position.
NIGHT, GOLD, WHITE, DARK = (12, 14, 44), (255, 205, 60), (245, 245, 240), (25, 20, 30)
RED, ORANGE, WOOD, SKIN = (214, 40, 40), (245, 125, 30), (130, 80, 40), (240, 200, 160)
BLACK, SHADE = (10, 10, 12), (60, 50, 70)
ROCKET = [("tri", RED, (-16, 24), (14, 22)), ("tri", RED, (16, 24), (14, 22)),
          ("rect", (236, 236, 236), (0, 0), (24, 64)), ("tri", RED, (0, -44), (24, 26)),
          ("ellipse", (90, 160, 230), (0, -10), (11, 11))]
FLAME = [("tri", (255, 140, 20), (0, 46), (22, -34)), ("tri", GOLD, (0, 42), (10, -18))]
PLANET = [("ellipse", (235, 140, 50), (0, 0), (80, 80)), ("rect", (200, 100, 40), (0, -8), (76, 8)),
          ("rect", (250, 180, 90), (0, 12), (70, 8)),
          ("ellipse", (240, 220, 170), (0, 0), (140, 14))]
BALL = [("ellipse", ORANGE, (0, 0), (70, 70)),
        ("ellipse", WHITE, (-12, -10), (18, 22)), ("ellipse", WHITE, (12, -10), (18, 22)),
        ("ellipse", DARK, (-10, -8), (8, 10)), ("ellipse", DARK, (14, -8), (8, 10)),
        ("ellipse", (120, 40, 20), (0, 16), (22, 8))]
PANCAKE = [("ellipse", ORANGE, (0, 0), (120, 26)), ("text", DARK, (0, -2), (18, 0), "x  x")]
GULL = [("tri", (70, 70, 80), (-8, 0), (18, -6)), ("tri", (70, 70, 80), (8, 0), (18, -6))]
BOAT = [("rect", (200, 60, 50), (-12, -34), (4, 60)), ("tri", (210, 40, 40), (4, -36), (26, 50)),
        ("tri", WHITE, (-26, -30), (24, 40)), ("rect", WOOD, (0, 0), (90, 18)),
        ("tri", WOOD, (-45, 0), (18, -18)), ("tri", WOOD, (45, 0), (18, -18))]
ISLAND = [("ellipse", (235, 205, 130), (0, 0), (200, 50)),
          ("rect", (120, 80, 40), (10, -50), (8, 80)),
          ("ellipse", (40, 150, 60), (-12, -92), (60, 20)),
          ("ellipse", (40, 150, 60), (34, -90), (56, 18)),
          ("ellipse", (90, 90, 95), (-60, -6), (40, 26))]
HOUSE = [("rect", (230, 210, 170), (0, 0), (110, 80)), ("tri", (190, 40, 40), (0, -62), (140, 46))]
HOUSE_DARK = [("rect", SHADE, (-30, -10), (22, 22)), ("rect", SHADE, (30, -10), (22, 22)),
              ("rect", SHADE, (0, 22), (22, 36))]
WINDOW_LEFT = [("rect", GOLD, (-30, -10), (22, 22))]
WINDOW_RIGHT = [("rect", GOLD, (30, -10), (22, 22))]
DOOR = [("rect", GOLD, (0, 22), (22, 36))]
PEOPLE = [("rect", (50, 90, 200), (-30, 0), (18, 50)), ("ellipse", SKIN, (-30, -34), (16, 16)),
          ("tri", (210, 50, 60), (0, 4), (26, 42)), ("ellipse", SKIN, (0, -24), (14, 14)),
          ("rect", (60, 160, 70), (24, 10), (14, 30)), ("ellipse", SKIN, (24, -10), (12, 12))]
CASTLE = [("rect", DARK, (0, 0), (220, 110)), ("rect", DARK, (-100, -40), (40, 190)),
          ("rect", DARK, (100, -40), (40, 190)), ("tri", DARK, (-100, -160), (54, 50)),
          ("tri", DARK, (100, -160), (54, 50)), ("rect", DARK, (0, -70), (50, 60)),
          ("tri", DARK, (0, -120), (60, 40)), ("tri", (200, 30, 40), (12, -152), (20, -12)),
          ("rect", GOLD, (-100, -60), (10, 16)), ("rect", GOLD, (100, -60), (10, 16)),
          ("rect", GOLD, (-40, 10), (12, 18)), ("rect", GOLD, (40, 10), (12, 18))]
DRAGON_BODY = [("ellipse", BLACK, (0, 0), (110, 34)), ("ellipse", BLACK, (-60, -12), (34, 22)),
               ("tri", BLACK, (70, 4), (50, 10)), ("ellipse", (255, 80, 40), (-66, -16), (5, 5))]
WINGS_UP = [*DRAGON_BODY, ("tri", BLACK, (-10, -40), (60, 60)), ("tri", BLACK, (26, -36), (50, 54))]
WINGS_DOWN = [*DRAGON_BODY, ("tri", BLACK, (-10, 36), (60, -50)),
              ("tri", BLACK, (26, 32), (50, -44))]


def note_sprite(colour: tuple[int, int, int]) -> list:
    """A smiling music note: a round head, a stem and two dots for eyes."""
    return [("rect", colour, (14, -30), (6, 60)), ("ellipse", colour, (0, 0), (36, 28)),
            ("ellipse", DARK, (-6, -2), (5, 6)), ("ellipse", DARK, (6, -2), (5, 6))]


def balloon(colour: tuple[int, int, int], number: str) -> list:
    """A balloon with its number and string."""
    return [("rect", (90, 90, 90), (0, 60), (2, 50)), ("ellipse", colour, (0, 0), (62, 78)),
            ("text", WHITE, (0, 0), (34, 0), number)]


def rocket_moving(path: tuple, show: tuple = (0, 99)) -> list[dict]:
    """The rocket and its flame following one path."""
    return [{"sprite": FLAME, "path": path, "show": show}, {"sprite": ROCKET, "path": path}]


STARS = {"stars": 60, "colour": WHITE}
NOTES_PINK, NOTES_BLUE, NOTES_YELLOW = (note_sprite(c) for c in ((240, 90, 170), (80, 160, 250),
                                                                  GOLD))
HILLS = {"sprite": [("ellipse", (80, 170, 70), (120, 0), (420, 160)),
                    ("ellipse", (60, 150, 60), (-160, 20), (420, 150))], "path": (240, 370)}
CLOUDS = {"sprite": [("ellipse", WHITE, (0, 0), (90, 30)), ("ellipse", WHITE, (30, -12), (60, 30))],
          "path": ((0, 60, 60), (4.5, 160, 60))}
ROOM = [{"sprite": [("rect", (150, 100, 60), (0, 0), (480, 60))], "path": (240, 330)},
        {"sprite": [("rect", WHITE, (0, 0), (96, 86)), ("rect", (150, 200, 240), (0, 0), (84, 74)),
                    ("rect", WHITE, (0, 0), (4, 86))], "path": (380, 120)}]
TRUNKS = [("rect", (30, 24, 20), (x, 0), (w, 400)) for x, w in ((-200, 30), (-110, 22), (90, 26))]
TREES = {"sprite": [*TRUNKS, ("rect", (30, 24, 20), (190, 0), (34, 400)),
                    ("rect", (20, 50, 25), (0, 170), (480, 40))], "path": (240, 180)}

# One dict per clip: each scene lasts `seconds` and has a sky (top, bottom colours at its start and
# end), a list of drawn items and a list of notes (start s, voice, MIDI pitch, length s, volume).
CLIPS = [
    {"name": "rocket_run", "scenes": [
        {"seconds": 5.0, "sky": ((NIGHT, (30, 30, 80)),), "items": [
            STARS, {"sprite": [("rect", (60, 60, 70), (0, 0), (480, 40))], "path": (240, 340)},
            {"sprite": [("rect", (120, 120, 130), (0, 0), (14, 190)),
                ("rect", (120, 120, 130), (14, -40), (30, 6))], "path": (200, 225)},
            {"sprite": [("text", GOLD, (0, 0), (80, 0), "3")], "path": (380, 90),
                "show": (0.3, 1.2)},
            {"sprite": [("text", GOLD, (0, 0), (80, 0), "2")], "path": (380, 90),
                "show": (1.3, 2.2)},
            {"sprite": [("text", GOLD, (0, 0), (80, 0), "1")], "path": (380, 90),
                "show": (2.3, 3.0)},
            {"swarm": 14, "path": (240, 320), "radius": 60, "period": 3.0,
                "colour": (150, 150, 150), "size": 16, "show": (2.8, 5), "glow": False},
            *rocket_moving(((0, 240, 268), (3.0, 240, 268), (5.0, 240, -90)), (2.8, 5))],
         "notes": [(t, "beep", 81, 0.25, 0.3) for t in (0.3, 1.3, 2.3)] + [(2.8, "rumble", 40, 2.2,
             0.6)]},
        {"seconds": 5.0, "sky": (((0, 0, 10), NIGHT),), "items": [
            STARS, {"sprite": PLANET, "path": ((0, 520, 100), (5, -80, 100))},
            {"sprite": [("ellipse", (90, 140, 240), (0, 0), (34, 34))],
                "path": ((0, 620, 50), (5, 80, 50))},
            {"sprite": [("ellipse", (60, 130, 200), (0, 0), (40, 40)),
                ("ellipse", (70, 170, 90), (-6, -4), (18, 14))], "path": (410, 210)},
            {"sprite": [("ellipse", (150, 150, 155), (0, 0), (600, 180)),
                ("ellipse", (110, 110, 115), (-150, -40), (50, 16)), ("ellipse", (110, 110, 115),
                (130, -50), (40, 12))], "path": (240, 400)},
            *rocket_moving(((0, -40, 150), (2.5, 240, 110), (4.4, 240, 255)), (0, 4.4))],
         "notes": [(i * 0.125, "beep", (45, 52, 57, 52)[i % 4], 0.1, 0.2) for i in range(20)]
         + [(1.0, "whoosh", 60, 1.2, 0.5), (4.4, "kick", 33, 0.5, 0.9),
             (4.45, "rumble", 40, 0.5, 0.3)]},
    ]},
    {"name": "bouncing_ball_boing", "scenes": [
        {"seconds": 4.5, "sky": (((250, 240, 215), (238, 222, 190)),), "items": [
            *ROOM, {"sprite": BALL, "path": ((0, 110, 265), (4.5, 380, 265)),
                "bounce": (130, 0.75)}],
         "notes": [(k * 0.75, "boing", 55 + 2 * k, 0.4, 0.5) for k in range(6)]},
        {"seconds": 4.5, "sky": (((250, 240, 215), (238, 222, 190)),), "items": [
            *ROOM, {"sprite": BALL, "path": ((0, 380, 265), (0.75, 250, 70), (1.5, 110, 265)),
                "show": (0, 1.5)},
            {"sprite": PANCAKE, "path": (110, 318), "show": (1.5, 3.2)},
            {"swarm": 5, "path": (110, 280), "radius": 40, "period": 1.0, "colour": GOLD,
                "size": 10, "show": (1.6, 3.2), "glow": False},
            {"sprite": BALL, "path": ((0, 110, 265), (1.3, 200, 265)), "bounce": (60, 0.6),
                "show": (3.2, 4.5)}],
         "notes": [(0, "slide", 60, 1.5, 0.4), (1.5, "rumble", 50, 0.3, 0.6)]
         + [(t, "beep", 96, 0.08, 0.15) for t in (1.8, 1.95, 2.4, 2.55, 3.0)] + [(3.2, "boing", 50,
             0.5, 0.6), (3.8, "boing", 62, 0.4, 0.5)]},
    ]},
    {"name": "counting_balloons", "scenes": [
        {"seconds": 4.5, "sky": (((90, 170, 240), (190, 225, 250)),), "items": [
            CLOUDS, {"sprite": balloon((220, 40, 40), "1"),
                "path": ((0, 140, 420), (2.0, 140, 170))}, HILLS,
            {"sprite": balloon((240, 200, 30), "2"), "path": ((2.2, 240, 420), (4.2, 240, 150))},
            {"sprite": [("text", (220, 40, 40), (0, 0), (56, 0), "1")], "path": (190, 40),
                "show": (1.0, 9)},
            {"sprite": [("text", (240, 190, 30), (0, 0), (56, 0), "2")], "path": (240, 40),
                "show": (3.2, 9)}],
         "notes": [(0.2 + 0.3 * i, "xylo", m, 0.5, 0.4) for i, m in enumerate((60, 64, 67, 72))]
         + [(2.2 + 0.3 * i, "xylo", m, 0.5, 0.4) for i, m in enumerate((62, 66, 69, 74))]
         + [(2.0, "bell", 84, 1.0, 0.3), (4.2, "bell", 86, 0.3, 0.3)]},
        {"seconds": 4.5, "sky": (((90, 170, 240), (190, 225, 250)),), "items": [
            {**CLOUDS, "path": ((0, 160, 60), (4.5, 260, 60))},
            {"sprite": balloon((220, 40, 40), "1"), "path": (140, 170), "bob": (6, 1.6)},
            {"sprite": balloon((240, 200, 30), "2"), "path": (240, 150), "bob": (6, 1.3)},
            {"sprite": balloon((40, 90, 230), "3"), "path": ((0, 340, 420), (1.8, 340, 160)),
                "bob": (6, 1.1)}, HILLS,
            {"sprite": [("text", c, (dx, 0), (56, 0), n) for c, dx,
                n in (((220, 40, 40), -50, "1"), ((240, 190, 30), 0, "2"))], "path": (240, 40)},
            {"sprite": [("text", (40, 90, 230), (0, 0), (56, 0), "3")], "path": (290, 40),
                "show": (1.2, 9)}],
         "notes": [(0.1 + 0.3 * i, "xylo", m, 0.5, 0.4) for i, m in enumerate((64, 68, 71, 76))]
         + [(1.8, "bell", 88, 1.0, 0.3)] + [(2.4 + 0.35 * i, "xylo", m, 0.5, 0.35) for i,
             m in enumerate((72, 76, 79, 76, 72, 67))]},
    ]},
    {"name": "sunset_home_lullaby", "scenes": [
        {"seconds": 5.0,
            "sky": (((250, 150, 60), (250, 200, 120)), ((170, 80, 140), (240, 140, 90))), "items": [
            {"sprite": [("ellipse", (250, 110, 30), (0, 0), (70, 70))],
                "path": ((0, 400, 170), (5, 400, 300))},
            {"sprite": [("ellipse", (70, 150, 60), (0, 0), (760, 200))], "path": (240, 380)},
            {"sprite": HOUSE + HOUSE_DARK, "path": (370, 250)},
            {"sprite": PEOPLE, "path": ((0, 40, 272), (4.2, 260, 272), (5, 260, 272)),
                "bob": (3, 0.5)}],
         "notes": [(1.5 * i, "pad", m, 1.7, 0.25) for i, m in enumerate((48, 53, 55, 48))]
         + [(0.5 * i, "bell", m, 0.9, 0.25) for i,
             m in enumerate((72, 76, 79, 77, 76, 72, 74, 72, 69, 72))]},
        {"seconds": 5.0, "sky": (((40, 30, 90), (110, 60, 120)), (NIGHT, (40, 30, 90))), "items": [
            {**STARS, "stars": 40}, {"sprite": [("ellipse", (40, 90, 50), (0, 0), (760, 200))],
                "path": (240, 380)},
            {"sprite": HOUSE + HOUSE_DARK, "path": (370, 250)}, {"sprite": PEOPLE,
                "path": (260, 272)},
            {"sprite": WINDOW_LEFT, "path": (370, 250), "show": (0.8, 9)},
            {"sprite": WINDOW_RIGHT, "path": (370, 250), "show": (1.6, 9)},
            {"sprite": DOOR, "path": (370, 250), "show": (2.4, 9)},
            {"swarm": 12, "path": (370, 150), "radius": 60, "period": 6.0, "colour": GOLD,
                "size": 6, "show": (2.6, 9)}],
         "notes": [(1.5 * i, "pad", m, 1.7, 0.25) for i, m in enumerate((48, 53, 55, 48))]
         + [(0.5 * i, "bell", m, 0.9, 0.22) for i, m in enumerate((72, 74, 76, 72, 69, 67))]
         + [(2.6 + 0.3 * i, "bell", m, 0.8, 0.18) for i, m in enumerate((96, 91, 93, 88, 91, 96))]},
    ]},
    {"name": "boat_to_island", "scenes": [
        {"seconds": 4.5, "sky": (((170, 210, 240), (225, 238, 245)),), "items": [
            {"sprite": [("ellipse", (250, 240, 180), (0, 0), (50, 50))], "path": (390, 60)},
            {"sprite": GULL, "path": ((0, -20, 70), (4.5, 500, 90)), "bob": (5, 0.8)},
            {"sprite": GULL, "path": ((0, 60, 110), (4.5, 560, 80)), "bob": (5, 0.7)},
            {"sprite": BOAT, "path": ((0, 120, 246), (4.5, 220, 246)), "bob": (6, 1.2)},
            {"waves": (40, 110, 190), "base": 255, "amp": 8}, {"waves": (30, 90, 170), "base": 290,
                "amp": 6}],
         "notes": [(0.5 * i, "kick", 36, 0.3, 0.8) for i in range(9)] + [(0.25 + 0.5 * i, "tom",
             45, 0.25, 0.5) for i in range(9)]},
        {"seconds": 4.5, "sky": (((150, 180, 210), (215, 230, 240)),), "items": [
            {"sprite": ISLAND, "path": ((0, 580, 262), (3.6, 390, 262))},
            {"sprite": BOAT, "path": (200, 238), "bob": (20, 0.6), "show": (0, 2.4)},
            {"swarm": 8, "path": (250, 232), "radius": 20, "period": 0.5, "colour": WHITE,
                "size": 6, "show": (0, 2.4)},
            {"sprite": BOAT, "path": ((2.4, 200, 246), (4.5, 290, 246)), "bob": (4, 1.2),
                "show": (2.4, 9)},
            {"waves": (40, 110, 190), "base": 255, "amp": ((0, 26, 0), (2.4, 26, 0), (3.4, 6, 0))},
            {"waves": (30, 90, 170), "base": 290, "amp": ((0, 18, 0), (2.4, 18, 0), (3.4, 5, 0))}],
         "notes": [(0.125 * i, "tom", (45, 50, 45, 55)[i % 4], 0.15, 0.5) for i in range(19)]
         + [(3.0 + 0.06 * i, "snare", 60, 0.06, 0.3 + 0.03 * i) for i in range(16)] + [(4.0,
             "crash", 80, 0.5, 0.6)]},
    ]},
    {"name": "dragon_castle_moon", "scenes": [
        {"seconds": 4.5, "sky": ((NIGHT, (30, 40, 90)),), "items": [
            STARS, {"sprite": [("ellipse", (250, 240, 190), (0, 0), (170, 170))],
                "path": (300, 120)},
            {"sprite": CASTLE, "path": (240, 300)},
            {"stars": 16, "colour": GOLD, "area": (100, 150, 380, 330), "seed": 3}],
         "notes": [(0, "pad", 38, 4.5, 0.3)] + [(t, "bell", m, 1.0, 0.2) for t,
             m in ((0.4, 84), (1.3, 88), (2.0, 91), (2.9, 86), (3.7, 89))]},
        {"seconds": 4.5, "sky": ((NIGHT, (30, 40, 90)),), "items": [
            STARS, {"sprite": [("ellipse", (250, 240, 190), (0, 0), (170, 170))],
                "path": (300, 120)},
            {"sprite": CASTLE, "path": (240, 300)},
            {"sprite": WINGS_UP, "path": ((0, 560, 130), (2.2, 80, 110)), "every": 0.4,
                "show": (0, 2.2)},
            {"sprite": WINGS_DOWN, "path": ((0, 560, 130), (2.2, 80, 110)), "every": 0.4,
                "phase": 0.5, "show": (0, 2.2)},
            {"sprite": WINGS_UP, "path": (240, 90), "orbit": (110, 30, 2.3), "scale": 0.5,
                "every": 0.3, "show": (2.2, 9)},
            {"sprite": WINGS_DOWN, "path": (240, 90), "orbit": (110, 30, 2.3), "scale": 0.5,
                "every": 0.3, "phase": 0.5, "show": (2.2, 9)},
            {"swarm": 16, "path": (240, 90), "radius": 110, "period": 2.3, "colour": GOLD,
                "size": 5, "show": (2.4, 9)}],
         "notes": [(0, "pad", 38, 4.5, 0.3)] + [(0.4 * i, "whoosh", 60, 0.35,
             0.4) for i in range(6)]
         + [(1.4, "rumble", 30, 0.9, 0.6)] + [(2.4 + 0.3 * i, "bell", m, 0.8, 0.2) for i,
             m in enumerate((91, 96, 93, 98, 95, 100, 96))]},
    ]},
    {"name": "dancing_notes_equalizer", "scenes": [
        {"seconds": 4.5, "sky": (((60, 20, 90), (30, 10, 50)),), "items": [{"bars": 16}],
         "notes": [(0.5 * i, "kick", 36, 0.3, 0.9) for i in range(9)] + [(0.25 * i, "hat", 90,
             0.05, 0.2) for i in range(18)]
         + [(0.25 * i, "pluck", (36, 43, 48, 43)[i % 4], 0.24, 0.4) for i in range(18)]},
        {"seconds": 4.5, "sky": (((60, 20, 90), (30, 10, 50)),), "items": [
            {"bars": 16, "rainbow": 2.2},
            *({"sprite": s, "path": ((0, -40 - 60 * k, 90), (2.2, 300 - 90 * k, 90)),
                "bounce": (40, 0.5), "show": (0, 2.2)}
              for k, s in enumerate((NOTES_PINK, NOTES_BLUE, NOTES_YELLOW))),
            *({"sprite": s, "path": (240, 90), "orbit": (120, 40, 2.3 - 0.01 * k, k / 3),
                "show": (2.2, 9)}
              for k, s in enumerate((NOTES_PINK, NOTES_BLUE, NOTES_YELLOW)))],
         "notes": [(0.5 * i, "kick", 36, 0.3, 0.9) for i in range(9)] + [(0.25 + 0.5 * i, "snare",
             60, 0.1, 0.3) for i in range(9)]
         + [(0.25 * i, "beep", (72, 76, 79, 76, 74, 77, 81, 77)[i % 8] + (5 if i >= 9 else 0),
             0.22, 0.15) for i in range(18)]
         + [(2.25 + 0.25 * i, "beep", (76, 79, 83, 79)[i % 4], 0.22, 0.1) for i in range(9)]},
    ]},
    {"name": "firefly_forest", "scenes": [
        {"seconds": 4.5, "sky": (((6, 14, 12), (12, 30, 20)),), "items": [
            TREES, *({"swarm": 1, "path": ((0, x, y), (4.5, x + 20, y - 15)), "radius": 8,
                "period": 3, "colour": (210, 250, 90), "size": 5, "show": (0.3 + 0.6 * k, 9)}
                     for k, (x, y) in enumerate(((150, 200), (300, 150), (220, 250), (380, 220),
                         (100, 120), (260, 100))))],
         "notes": [(0, "pad", m, 4.5, 0.12) for m in (50, 57, 62)] + [(0.3 + 0.6 * k, "bell",
             79 + 2 * k, 0.8, 0.2) for k in range(6)]
         + [(0.4 + 0.8 * i + 0.06 * j, "beep", 100, 0.03,
             0.05) for i in range(5) for j in range(3)]},
        {"seconds": 5.0, "sky": (((6, 14, 12), (12, 30, 20)),), "items": [
            TREES, {"swarm": 40, "path": ((0, 240, 200), (2.5, 240, 200), (5, 240, 20)),
                "radius": 90, "period": 4.0, "colour": (210, 250, 90), "size": 5, "fade": (2.5,
                5.0)}],
         "notes": [(0, "pad", m, 5.0, 0.12) for m in (50, 57, 62)] + [(0.25 * i, "bell",
             (74, 78, 81, 86)[i % 4], 0.5, 0.12) for i in range(10)]
         + [(2.6 + 0.2 * i, "bell", 74 + 2 * i, 0.8, 0.15) for i in range(12)]},
    ]},
]
# fmt: on
