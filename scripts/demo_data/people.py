"""Synthetic customers and crews. Every name and phone number here is fictitious."""

import math
import random

import numpy as np

from .geo import feature, metres_per_degree, point

FAMILY = ("Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Gao Lin Luo "
          "Zheng Liang Xie Song Tang Han Feng Deng Cao Peng Zeng Xiao Tian Dong Pan Yuan Cai Jiang "
          "Yu Du").split()
GIVEN = ("Wei Fang Na Min Jing Lei Qiang Jun Yan Jie Tao Ming Chao Xiu Hui Hong Ping Gang Hua "
         "Ling Bo Yun Xin Rui Hao Yu Lan Kai Ting Dan Peng Qing Ying Long Mei Feng Shan Xia Bin Zhen").split()
BRANDS = ("Xinhua Hongxing Jinlong Fuli Huamei Kangda Minsheng Tianyi Yongfeng Dongfang Changxin "
          "Baoli Hengtai Ruifeng Lianhua Shengda").split()
BUSINESS = {"G0": "Trading Co.", "G1": "Office", "G2": "Restaurant", "G3": "Cold Store", "G4": "Shop",
            "G5": "Bakery", "G6": "Sports Club", "L0": "Farm", "L1": "Dairy Farm", "L2": "Orchard",
            "BL": "Pumping Station", "WB": "Works"}
GRID_DIGIT = {"U-": 1, "R-": 2, "C-": 3}
#: The first set is C01's, the README's demo crew (user c01): it can take a report on any demo
#: customer, which lands on a transformer (lv), and a medium-voltage fault.
SKILL_SETS = (["lv", "mv", "overhead"], ["mv", "overhead", "live_line"], ["lv", "cable"],
              ["lv", "overhead", "tree_trimming"], ["mv", "cable"])
JITTER_M = (2.0, 12.0)  # customers sharing a bus are spread around it, never beyond 15 m


def phone(prefix: str, n: int) -> str:
    """Unique per (prefix, n): multiplying by a unit modulo 10**8 is a bijection."""
    return f"{prefix}{(n * 7_919_993 + 1_234_567) % 10**8:08d}"


def person(rnd: random.Random) -> str:
    return f"{rnd.choice(FAMILY)} {rnd.choice(GIVEN)}"


def priority(rnd: random.Random, business: bool) -> str:
    """~10% of loads are businesses: a tenth of them critical, half important; ~0.55% of
    households have life support at home."""
    u = rnd.random()
    if business:
        return "critical" if u < 0.1 else "important" if u < 0.6 else "normal"
    return "life_support" if u < 0.0055 else "normal"


def jitter(xy, rnd: random.Random) -> tuple[float, float]:
    angle, radius = rnd.uniform(0, 2 * math.pi), rnd.uniform(*JITTER_M)
    delta = np.array([math.cos(angle), math.sin(angle)]) * radius / metres_per_degree(xy[1])
    return tuple((np.asarray(xy) + delta).tolist())


def customers(grids, seed: int = 71) -> list[dict]:
    """One customer per SimBench load; ``address`` is filled in later from roads and zones."""
    rnd, out = random.Random(seed), []
    for grid in grids:
        for n, load in enumerate(grid.loads, start=1):
            kind = BUSINESS.get(load.profile[:2])
            props = {"account_no": f"7{GRID_DIGIT[grid.tag]}{n:08d}",
                     "name": f"{rnd.choice(BRANDS)} {kind}" if kind else person(rnd),
                     "phone": phone("139", len(out) + 1), "address": None, "bus": load.bus}
            if load.transformer:
                props["transformer"] = load.transformer
            business = kind is not None or load.transformer is None  # MV loads are businesses too
            props |= {"priority": priority(rnd, business),
                      "profile": load.profile, "p_kw": load.p_kw, "grid": grid.tag.rstrip("-")}
            out.append(feature(point(jitter(load.xy, rnd)), props))
    return out


def crews(depots: list[dict], count: int = 20, seed: int = 72) -> list[dict]:
    """Crews spread round-robin over the depots; skill sets cycle so that every skill occurs."""
    rnd, out = random.Random(seed), []
    for n in range(1, count + 1):
        depot = depots[(n - 1) % len(depots)]
        skills = SKILL_SETS[(n - 1) % len(SKILL_SETS)]
        specialty = "MV" if "mv" in skills else "LV"
        out.append(feature(depot["geometry"], {
            "code": f"C{n:02d}", "name": f"{specialty} Crew {n:02d}", "depot": depot["properties"]["code"],
            "members": [person(rnd) for _ in range(rnd.randint(2, 4))],
            "phone": phone("138", n), "skills": list(skills)}))
    return out
